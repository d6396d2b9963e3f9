"""What deleting a subscriber does at once, in the same transaction as the delete.

Everything the database alone holds is erased there and then: the callers' numbers and names on
the subscriber's voicemails and calls, and the transcripts. The voicemails are marked for purging
(`purge_requested_at`), unprocessed ones are stopped and unsent emails cancelled. The copies held
elsewhere (storage, Twilio, the outbox) are deleted afterwards by the erasure job, and the
periodic purge finishes whatever it could not: the mark survives any failure.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from app.models import Call, Voicemail, utcnow
from app.retention.anonymise import ANONYMOUS_VOICEMAIL, anonymise_calls
from app.retention.inflight import cancel_unsent, stop_processing


def request_erasure(session: Session, subscriber_id: int) -> list[int]:
    """Mark the subscriber's voicemails for purging and erase what only the database holds.

    Not committed: the caller commits it with the delete, so a subscriber is never gone while
    their voicemails are unmarked. Returns the ids of the voicemails left to purge.
    """
    theirs = Voicemail.subscriber_id == subscriber_id
    stop_processing(session, theirs)
    cancel_unsent(session, theirs)
    unpurged = (theirs, Voicemail.purged_at.is_(None))
    ids = list(session.scalars(select(Voicemail.id).where(*unpurged).order_by(Voicemail.id)))
    unmarked = (*unpurged, Voicemail.purge_requested_at.is_(None))
    _update_voicemails(session, unmarked, purge_requested_at=utcnow())
    _update_voicemails(session, unpurged, **ANONYMOUS_VOICEMAIL)
    their_calls = or_(
        Call.subscriber_id == subscriber_id,
        Call.id.in_(select(Voicemail.call_id).where(theirs)),
    )
    anonymise_calls(session, their_calls)
    return ids


def _update_voicemails(
    session: Session, where: tuple[ColumnElement[bool], ...], **values: object
) -> None:
    session.execute(
        update(Voicemail)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
