"""Deleting recordings at Twilio, only once the stored copy is verified."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.core.extensions import db, storage
from app.models import Voicemail
from tests.conftest import SmtpSink, TwilioHelper
from voicemail.cleanup import CopyNotVerified, delete_from_twilio


def _stored(twilio: TwilioHelper, smtp: SmtpSink) -> Voicemail:
    recording = twilio.leave_voicemail("+14155550100", seconds=2)
    smtp.wait_for(1)
    db.session.rollback()
    row = db.session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording))
    assert row is not None
    return row


def _deletes(twilio: TwilioHelper) -> list[str]:
    return [r["path"] for r in twilio.media.state.requests if r["method"] == "DELETE"]


def test_a_verified_copy_lets_twilios_recording_go(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    voicemail = _stored(twilio, smtp)
    delete_from_twilio(voicemail.id)
    db.session.refresh(voicemail)
    assert voicemail.deleted_from_twilio_at is not None
    assert voicemail.recording_sid not in twilio.media.state.recordings
    assert _deletes(twilio) == [
        f"/2010-04-01/Accounts/{voicemail.account_sid}/Recordings/{voicemail.recording_sid}.json"
    ]
    delete_from_twilio(voicemail.id)  # idempotent: nothing more is deleted
    assert len(_deletes(twilio)) == 1


def test_a_damaged_stored_copy_keeps_twilios_recording(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    voicemail = _stored(twilio, smtp)
    storage().put(voicemail.original_key or "", b"not a wav", "audio/wav")
    with pytest.raises(CopyNotVerified):
        delete_from_twilio(voicemail.id)
    assert _deletes(twilio) == []
    assert voicemail.recording_sid in twilio.media.state.recordings


def test_a_recording_twilio_already_deleted_counts_as_deleted(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    voicemail = _stored(twilio, smtp)
    twilio.media.state.recordings.pop(voicemail.recording_sid)
    delete_from_twilio(voicemail.id)
    db.session.refresh(voicemail)
    assert voicemail.deleted_from_twilio_at is not None
