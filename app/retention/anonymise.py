"""Erasing callers from the database: their numbers and names, and what they said (transcripts)."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from app.core.extensions import db
from app.models import Call, Voicemail, utcnow

ANONYMOUS_VOICEMAIL = {"caller_number": None, "caller_name": None, "transcription_text": None}
ANONYMOUS_CALL = {"from_number": None, "caller_name": None}
CALL_BATCH = 1000


def anonymise_voicemail(session: Session, voicemail: Voicemail) -> None:
    """Erase the caller and the transcript from a voicemail and from its call."""
    for name, value in ANONYMOUS_VOICEMAIL.items():
        setattr(voicemail, name, value)
    anonymise_calls(session, or_(Call.id == voicemail.call_id, Call.call_sid == voicemail.call_sid))


def anonymise_calls(session: Session, which: ColumnElement[bool]) -> None:
    """Erase the caller's number and name from the matching calls (not committed)."""
    session.execute(
        update(Call)
        .where(which, Call.purged_at.is_(None))
        .values(**ANONYMOUS_CALL, purged_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def anonymise_calls_before(cutoff: datetime, deadline: float | None = None) -> int:
    """Erase the caller from calls made before `cutoff`, a batch a commit; return how many.

    A call with a voicemail not purged yet is left to that voicemail's purge: its email may
    still be owed.
    """
    unpurged_voicemail = select(Voicemail.id).where(
        or_(Voicemail.call_id == Call.id, Voicemail.call_sid == Call.call_sid),
        Voicemail.purged_at.is_(None),
    )
    due = (Call.purged_at.is_(None), Call.created_at < cutoff, ~unpurged_voicemail.exists())
    total = 0
    while deadline is None or time.monotonic() < deadline:
        batch = db.session.scalars(select(Call.id).where(*due).limit(CALL_BATCH)).all()
        if not batch:
            break
        anonymise_calls(db.session(), Call.id.in_(batch))
        db.session.commit()
        total += len(batch)
    return total
