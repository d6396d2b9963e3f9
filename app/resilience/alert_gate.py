"""At most one admin alert per subject per window, whichever process or worker sends it.

The claim is a Redis key that expires with the window (`SET NX EX`); without Redis (the embedded
defaults), or while it does not answer, it is a `job_state` row holding the window's end, taken
by a conditional update. If neither answers, the alert goes anyway: a duplicate is better than
silence, and the callers of a webhook already throttle per process.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import redis
import structlog
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.core.circuit import OUTAGE_ERRORS
from app.core.extensions import db, redis_client
from app.models import JobState, utcnow

log = structlog.get_logger(__name__)

KEY_PREFIX = "backline:alert-gate:"
ROW_PREFIX = "alert-gate."


def claim_alert(subject: str, seconds: int) -> bool:
    """Claim the right to alert about `subject` for `seconds`; False if it is already taken."""
    client = redis_client()
    if client is not None:
        try:
            return bool(client.set(KEY_PREFIX + subject, b"1", nx=True, ex=max(1, seconds)))
        except redis.RedisError as exc:
            log.warning("redis unavailable for the alert gate; using the database", error=str(exc))
    try:
        return _claim_row(ROW_PREFIX + subject, seconds)
    except OUTAGE_ERRORS as exc:
        with contextlib.suppress(*OUTAGE_ERRORS):
            db.session.rollback()
        log.warning("alert gate unavailable; alerting anyway", subject=subject, error=str(exc))
        return True


def release_alert(subject: str) -> None:
    """Give a claim back (the alert could not be sent), so that the next try may send it."""
    client = redis_client()
    if client is not None:
        with contextlib.suppress(redis.RedisError):
            client.delete(KEY_PREFIX + subject)
    with contextlib.suppress(*OUTAGE_ERRORS):
        db.session.execute(delete(JobState).where(JobState.name == ROW_PREFIX + subject))
        db.session.commit()


def _claim_row(name: str, seconds: int) -> bool:
    """Take the row if its window has ended (or it does not exist yet), atomically."""
    session = db.session()
    now = utcnow()
    until = _stamp(now + timedelta(seconds=seconds))
    taken = session.execute(
        update(JobState)
        .where(JobState.name == name, JobState.value <= _stamp(now))
        .values(value=until, updated_at=now)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return True
    session.add(JobState(name=name, value=until))
    try:
        session.commit()
    except IntegrityError:  # the row exists and its window is still open (or another won)
        session.rollback()
        return False
    return True


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC time, so that stamps compare as text."""
    return moment.isoformat(timespec="microseconds")
