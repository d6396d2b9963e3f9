"""A growing delay after failed logins, per account and client address.

Each failed login counts against the pair (account, address) that made it. The first
FREE_FAILURES cost nothing; each one after doubles the wait before that address may try that
account again (1 s, 2 s, 4 s… up to MAX_DELAY_S), and the password is not even checked before
the wait is over. The wait falls only on the address that has been failing: someone guessing
from elsewhere can never keep the NOC out, because a correct password from an address that has
not been failing is always checked.

Guesses spread over many addresses are caught by a ceiling per account: once an account has
drawn ACCOUNT_CEILING failures from all addresses together, every address that fails on it
waits MAX_DELAY_S after each failure. A clean address still goes straight in.

Counts lapse FORGET_AFTER after their last failure, and the periodic job
`forget-lapsed-logins` deletes them then (guesses from a million addresses leave no million rows
behind); `backline admin unlock` clears an account's counts from every address. Rate limiting
whole addresses is Flask-Limiter's job (app.limits).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select

from app.core.database import insert_on_conflict
from app.core.extensions import db
from app.models import LoginThrottle, utcnow

FREE_FAILURES = 3
MAX_DELAY_S = 300
ACCOUNT_CEILING = 50  # far more than a NOC mistypes in an hour; a guessing campaign gets there
FORGET_AFTER = timedelta(hours=1)
EMAIL_CHARS = 320  # the longest stored address; longer input is hashed to fit the key column
ADDRESS_CHARS = 64  # an IPv6 address with a zone fits


@dataclass(frozen=True)
class Attempt:
    """A login attempt: the account's email as typed and the client's address."""

    email: str
    address: str | None

    @property
    def account_key(self) -> str:
        return account_key(self.email)

    @property
    def pair_key(self) -> str:
        return f"{self.account_key}|ip:{_fitted(self.address or 'unknown', ADDRESS_CHARS)}"


def account_key(email: str) -> str:
    return "account:" + _fitted(email.strip().lower(), EMAIL_CHARS)


def delay_after(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(MAX_DELAY_S, 2 ** (failures - FREE_FAILURES)))


def wait_seconds(attempt: Attempt) -> int:
    """How long this address must still wait before its password for this account is checked."""
    now = utcnow()
    keys = [attempt.pair_key, attempt.account_key]
    rows = {
        r.key: r
        for r in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    }
    pair = rows.get(attempt.pair_key)
    failures = _live_failures(pair, now)
    if pair is None or not failures:
        return 0
    delay = delay_after(failures)
    if _live_failures(rows.get(attempt.account_key), now) >= ACCOUNT_CEILING:
        delay = MAX_DELAY_S
    remaining = (pair.last_failure_at + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def note_failure(attempt: Attempt) -> None:
    """Count a failed login against the pair and the account (atomic under concurrent tries)."""
    now = utcnow()
    for key in (attempt.pair_key, attempt.account_key):
        _count_failure(key, now)
    db.session.commit()


def forget(attempt: Attempt) -> None:
    """A correct password: this address starts afresh on this account."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == attempt.pair_key))
    db.session.commit()


def clear_account(email: str) -> int:
    """Forget the account's failures from every address; return how many counters there were."""
    key = account_key(email)
    account_rows = or_(
        LoginThrottle.key == key, LoginThrottle.key.startswith(key + "|", autoescape=True)
    )
    result = db.session.execute(delete(LoginThrottle).where(account_rows))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_lapsed(now: datetime | None = None) -> int:
    """Delete the counts whose last failure is FORGET_AFTER old (they count for nothing now);
    return how many there were."""
    cutoff = (now or utcnow()) - FORGET_AFTER
    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < cutoff))
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _live_failures(row: LoginThrottle | None, now: datetime) -> int:
    if row is None or row.last_failure_at < now - FORGET_AFTER:
        return 0
    return row.failures


def _count_failure(key: str, now: datetime) -> None:
    table = LoginThrottle.__table__
    lapsed = table.c.last_failure_at < now - FORGET_AFTER
    insert = insert_on_conflict(db.session.get_bind().dialect.name, table)
    db.session.execute(
        insert.values(key=key, failures=1, last_failure_at=now).on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((lapsed, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
    )


def _fitted(text: str, limit: int) -> str:
    """`text` itself when it fits the key column, else a digest no real value can look like."""
    if len(text) <= limit:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
