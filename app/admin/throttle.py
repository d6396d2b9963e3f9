"""A growing delay after failed logins, per client address and per account.

The first FREE_FAILURES failures cost nothing; each one after doubles the wait before the next
try is even checked (1 s, 2 s, 4 s… up to MAX_DELAY_S). There is no lockout: the right password
always works once the wait is over, so an attacker hammering an address cannot keep the NOC out
during an outage for more than a few minutes at a time, and `backline admin unlock` clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import LoginThrottle, utcnow

FREE_FAILURES = 3
MAX_DELAY_S = 300


def keys_for(ip: str | None, email: str) -> list[str]:
    return [f"ip:{ip or 'unknown'}", f"account:{email.strip().lower()}"]


def delay_after(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(MAX_DELAY_S, 2 ** (failures - FREE_FAILURES)))


def wait_seconds(keys: Iterable[str]) -> int:
    """How long the client must still wait before a login attempt is checked (0: go ahead)."""
    now = utcnow()
    longest = 0.0
    for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys)))):
        ready = row.last_failure_at + timedelta(seconds=delay_after(row.failures))
        longest = max(longest, (ready - now).total_seconds())
    return int(longest + 0.999) if longest > 0 else 0


def note_failure(keys: Iterable[str]) -> None:
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is None:
            db.session.add(LoginThrottle(key=key, failures=1, last_failure_at=utcnow()))
        else:
            row.failures, row.last_failure_at = row.failures + 1, utcnow()
    db.session.commit()


def clear(keys: Iterable[str]) -> int:
    """Forget the failures of these keys; return how many counters there were."""
    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
