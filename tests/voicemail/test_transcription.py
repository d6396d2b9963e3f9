"""Transcripts: asked for only in English, stored when Twilio sends them, waited for a bounded time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.core.extensions import db, jobs
from app.models import Voicemail, utcnow
from app.resilience.pending import pending_count
from tests.conftest import PUBLIC_URL, SmtpSink, TwilioHelper
from tests.twiml import only, parse
from voicemail.tasks import process_voicemail
from voicemail.transcription import TranscriptPending


@pytest.fixture
def transcribing(app: Any) -> None:
    app.config["BACKLINE_TRANSCRIBE"] = True


@pytest.mark.parametrize(("language", "asked"), [("en", True), ("es", False), ("fr", False)])
def test_only_english_recordings_ask_for_a_transcript(
    twilio: TwilioHelper, subscriber: Any, transcribing: None, language: str, asked: bool
) -> None:
    subscriber(number="+14155550100", language=language)
    record = only(parse(twilio.post("/ivr/record", twilio.call_params("+14155550100"))), "Record")
    assert (record.get("transcribe") == "true") is asked
    assert (record.get("transcribeCallback") == f"{PUBLIC_URL}/voicemail/transcription") is asked


def test_no_transcript_is_asked_for_when_transcription_is_off(
    twilio: TwilioHelper, subscriber: Any
) -> None:
    subscriber(number="+14155550100")
    record = only(parse(twilio.post("/ivr/record", twilio.call_params("+14155550100"))), "Record")
    assert record.get("transcribe") is None


def _voicemail() -> Voicemail:
    db.session.rollback()
    row = db.session.scalar(select(Voicemail))
    assert row is not None
    return row


def _transcript(twilio: TwilioHelper, recording: str, text: str = "Please call me back.") -> int:
    params = {
        "AccountSid": twilio.media.state.account_sid,
        "CallSid": "CA" + "7" * 32,
        "RecordingSid": recording,
        "TranscriptionSid": "TR" + "1" * 32,
        "TranscriptionStatus": "completed",
        "TranscriptionText": text,
    }
    return twilio.post("/voicemail/transcription", params).status_code


def test_the_email_waits_for_the_transcript_then_goes(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink, transcribing: None
) -> None:
    subscriber(number="+14155550100")
    outage()
    recording = twilio.leave_voicemail("+14155550100", seconds=3)
    assert _voicemail().transcription_status == "requested"
    jobs.wait_idle(5)
    assert smtp.messages == []  # held for the transcript

    assert _transcript(twilio, recording) == 204
    smtp.wait_for(1)
    stored = _voicemail()
    assert (stored.transcription_status, stored.transcription_text) == (
        "completed",
        "Please call me back.",
    )


def test_the_wait_for_a_transcript_is_bounded(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink, transcribing: None
) -> None:
    subscriber(number="+14155550100")
    outage()
    twilio.leave_voicemail("+14155550100", seconds=3)
    jobs.wait_idle(5)
    voicemail_id = _voicemail().id
    with pytest.raises(TranscriptPending):
        process_voicemail(voicemail_id)  # still within the wait: the job retries later
    db.session.execute(update(Voicemail).values(recorded_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    process_voicemail(voicemail_id)  # the wait is over: the email goes without it
    smtp.wait_for(1)


def test_recordings_longer_than_twilio_transcribes_do_not_wait(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink, transcribing: None
) -> None:
    subscriber(number="+14155550100")
    outage()
    twilio.leave_voicemail("+14155550100", seconds=121)
    smtp.wait_for(1)
    assert _voicemail().transcription_status is None


def test_a_transcript_that_arrives_before_the_recording_is_kept_for_later(
    twilio: TwilioHelper, subscriber: Any, outage: Any, transcribing: None
) -> None:
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", call)
    recording = twilio.add_recording(2)
    assert _transcript(twilio, recording, "Early.") == 204
    assert pending_count() == 0  # kept in the database until its recording arrives
    twilio.post("/voicemail/recording-status", twilio.recording_params(call, recording, 2))
    stored = _voicemail()
    assert (stored.transcription_status, stored.transcription_text) == ("completed", "Early.")


def test_a_malformed_transcript_callback_is_a_clear_400(twilio: TwilioHelper) -> None:
    response = twilio.post(
        "/voicemail/transcription", {"RecordingSid": "nope", "TranscriptionText": "x"}
    )
    assert response.status_code == 400
    assert "RecordingSid" in response.json["error"]
