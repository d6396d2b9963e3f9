"""Work still under way on a voicemail: a purge never deletes audio out from under it.

A voicemail purged for its age is left alone while it is unprocessed or an email of it is still
owed: a clock is no reason to lose a message its subscriber has not had yet. An email `delayed`
that long (its relay has failed it for the whole retention period) is the exception: retention
ends its retries, it is marked failed, and the voicemail is purged. A voicemail whose
subscriber was deleted is erased anyway: its unsent emails are cancelled, its copies deleted at
once, and only the final `purged_at` waits for work that cannot be stopped (an email being handed
to the relay right now, which may still drop a copy in the outbox; a voicemail job that may still
be storing audio), so the next run looks again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from app.core.extensions import db
from app.models import OWED_STATES, Delivery, DeliveryState, Voicemail, VoicemailStatus, utcnow
from forwarding.attempts import LEASE

# Longer than the voicemail job's timeout (600 s): after it, no job can still be storing audio.
PROCESSING_GRACE = timedelta(minutes=15)
NOT_SENT = "not sent: the subscriber was deleted and the voicemail erased"
ERASED_UNPROCESSED = "erased before it was processed: the subscriber was deleted"
RETENTION_ENDED = (
    "not sent: the voicemail reached the end of its retention (BACKLINE_RETENTION_DAYS) while "
    "its email was still delayed"
)
OWED = OWED_STATES


def why_waiting(voicemail: Voicemail) -> str | None:
    """Why the voicemail cannot be purged yet, or None; for an erasure, stop what can be stopped."""
    if voicemail.purge_requested_at is None:
        return _still_owed(voicemail)
    return _stop_for_erasure(voicemail)


def stop_processing(session: Session, which: ColumnElement[bool]) -> None:
    """Fail the matching voicemails not processed yet, so no job fetches, stores or emails them."""
    session.execute(
        update(Voicemail)
        .where(which, Voicemail.status == VoicemailStatus.RECEIVED)
        .values(status=VoicemailStatus.FAILED, error=ERASED_UNPROCESSED)
        .execution_options(synchronize_session=False)
    )


def cancel_unsent(session: Session, which: ColumnElement[bool]) -> None:
    """Fail the pending emails of the matching voicemails: a job claiming one then sends nothing."""
    session.execute(
        update(Delivery)
        .where(
            Delivery.voicemail_id.in_(select(Voicemail.id).where(which)),
            Delivery.state.in_((DeliveryState.PENDING, DeliveryState.DELAYED)),
        )
        .values(state=DeliveryState.FAILED, last_error=NOT_SENT)
        .execution_options(synchronize_session=False)
    )


def _still_owed(voicemail: Voicemail) -> str | None:
    if voicemail.status == VoicemailStatus.RECEIVED:
        return "not processed yet (its voicemail job may still be running)"
    _end_delayed(db.session(), voicemail)
    for delivery in voicemail.deliveries:
        if delivery.state in OWED:
            return (
                f"its email is still being delivered (delivery {delivery.id} is {delivery.state})"
            )
    return None


def _end_delayed(session: Session, voicemail: Voicemail) -> None:
    """Fail the voicemail's emails still waiting for a retry: its retention has ended."""
    ended = session.execute(
        update(Delivery)
        .where(Delivery.voicemail_id == voicemail.id, Delivery.state == DeliveryState.DELAYED)
        .values(state=DeliveryState.FAILED, last_error=RETENTION_ENDED)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], ended).rowcount:
        for delivery in voicemail.deliveries:
            session.expire(delivery)  # the update above bypassed the loaded rows


def _stop_for_erasure(voicemail: Voicemail) -> str | None:
    session = db.session()
    this_one = Voicemail.id == voicemail.id
    stop_processing(session, this_one)
    cancel_unsent(session, this_one)
    session.expire_all()  # the updates above bypassed the loaded rows
    for delivery in voicemail.deliveries:
        if delivery.state == DeliveryState.SENDING and not _abandon(session, delivery):
            return f"its email is being handed to the mail relay right now (delivery {delivery.id})"
    requested = voicemail.purge_requested_at or utcnow()
    if voicemail.original_key is None and utcnow() - requested < PROCESSING_GRACE:
        after = requested + PROCESSING_GRACE
        return f"its voicemail job may still be storing audio; it can be purged after {after:%H:%M} UTC"
    return None


def _abandon(session: Session, delivery: Delivery) -> bool:
    """Fail a delivery left `sending` by a dead worker; False while its attempt's lease runs."""
    last = max((attempt.at for attempt in delivery.attempts_made), default=None)
    if last is not None and utcnow() - last < LEASE:
        return False
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery.id,
                Delivery.state == DeliveryState.SENDING,
                Delivery.attempts == delivery.attempts,  # no job claimed it again meanwhile
            )
            .values(state=DeliveryState.FAILED, last_error=NOT_SENT)
            .execution_options(synchronize_session=False)
        ),
    )
    return moved.rowcount == 1
