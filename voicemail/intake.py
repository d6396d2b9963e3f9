"""Storing recording callbacks exactly once, whatever Twilio repeats.

A recording Twilio reports `absent` or `failed` is stored too, already failed: the caller
reached the voicemail line and nobody will get their message, so the admins are told, once
per RecordingSid however often Twilio repeats the callback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Call, Voicemail, VoicemailStatus, utcnow
from app.twilio.form import twilio_time, whole_number
from voicemail import transcription

COMPLETED = "completed"
NOT_RECORDED = {
    "absent": "Twilio reported the recording absent: no message was recorded (the caller may "
    "have hung up or stayed silent, or the recording failed)",
    "failed": "Twilio reported that the recording failed: the caller's message was not recorded",
}


def store_callback(
    session: Session,
    form: Mapping[str, str],
    idempotency_token: str | None,
    received_at: datetime | None = None,
) -> tuple[Voicemail, bool]:
    """Return the voicemail for this RecordingSid and whether this callback created it.

    `received_at` is when the callback arrived, if it was kept for later (the database was down).
    """
    existing = _existing(session, form["RecordingSid"], idempotency_token)
    if existing:
        return existing, False
    call = session.scalar(select(Call).where(Call.call_sid == form["CallSid"]))
    voicemail = Voicemail(
        recording_sid=form["RecordingSid"],
        account_sid=form["AccountSid"],
        call_sid=form["CallSid"],
        idempotency_token=idempotency_token,
        call_id=call.id if call else None,
        subscriber_id=call.subscriber_id if call else None,
        outage_id=call.outage_id if call else None,
        caller_number=call.from_number if call else None,
        caller_name=call.caller_name if call else None,
        reported_duration=whole_number(form.get("RecordingDuration")),
        recorded_at=_recorded_at(form, call, received_at),
    )
    not_recorded = NOT_RECORDED.get(form.get("RecordingStatus", COMPLETED))
    if not_recorded:
        voicemail.status, voicemail.error = VoicemailStatus.FAILED, not_recorded
    if transcription.expected(call.language if call else None, voicemail.reported_duration):
        voicemail.transcription_status = transcription.REQUESTED
    transcription.apply_early_transcript(voicemail)
    session.add(voicemail)
    try:
        session.commit()
    except IntegrityError:  # the same callback arrived twice at once; the other one won
        session.rollback()
        winner = _existing(session, form["RecordingSid"], idempotency_token)
        if winner is None:
            raise
        return winner, False
    return voicemail, True


def _recorded_at(
    form: Mapping[str, str], call: Call | None, received_at: datetime | None
) -> datetime:
    """When the message was left, as near as is known: never when a database that was down
    came back and the callback was finally stored."""
    started = twilio_time(form.get("RecordingStartTime"))
    return started or (call.created_at if call else None) or received_at or utcnow()


def _existing(session: Session, recording_sid: str, token: str | None) -> Voicemail | None:
    match = Voicemail.recording_sid == recording_sid
    if token:
        match = or_(match, Voicemail.idempotency_token == token)
    return session.scalar(select(Voicemail).where(match))
