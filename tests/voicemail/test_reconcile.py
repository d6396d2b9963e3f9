"""Recordings whose callback never arrived are found at Twilio and delivered, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db, jobs
from app.models import JobState, Voicemail
from app.twilio.rest import TwilioApiError
from tests.conftest import SmtpSink, TwilioHelper
from tests.helpers import free_port
from voicemail.reconcile import WATERMARK, reconcile_recordings


def _missed_call(twilio: TwilioHelper, seconds: float = 2, **recording: Any) -> str:
    """A call answered by Backline whose recording callback was lost on the way."""
    call = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", call)
    return twilio.add_recording(
        seconds, call_sid=call["CallSid"], duration=int(seconds), **recording
    )


def _voicemails() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Voicemail)) or 0)


def test_a_missed_callback_is_found_and_delivered_once(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    recording = _missed_call(twilio)

    assert reconcile_recordings() == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"
    assert reconcile_recordings() == 0  # known now
    jobs.wait_idle(10)
    assert len(smtp.messages) == 1
    assert db.session.scalar(select(Voicemail.recording_sid)) == recording


@pytest.mark.parametrize(
    "recording",
    [
        {"source": "DialVerb"},
        {"source": "Conference"},
        {"recording_status": "absent"},
        {"recording_status": "processing"},
    ],
)
def test_recordings_that_are_not_finished_messages_are_left_alone(
    twilio: TwilioHelper, subscriber: Any, recording: dict[str, str]
) -> None:
    subscriber(number="+14155550100")
    _missed_call(twilio, **recording)
    assert reconcile_recordings() == 0
    assert _voicemails() == 0


def test_the_watermark_bounds_how_far_back_it_looks(twilio: TwilioHelper, subscriber: Any) -> None:
    subscriber(number="+14155550100")
    _missed_call(twilio, date_created=datetime.now(UTC) - timedelta(days=5))
    assert reconcile_recordings() == 0  # first run: one day back, plus a day of overlap
    db.session.rollback()
    watermark = db.session.get(JobState, WATERMARK)
    assert watermark is not None
    assert datetime.fromisoformat(watermark.value) > datetime.now(UTC) - timedelta(minutes=1)


def test_after_a_long_outage_it_looks_back_to_the_last_run(
    twilio: TwilioHelper, subscriber: Any
) -> None:
    subscriber(number="+14155550100")
    db.session.add(
        JobState(name=WATERMARK, value=(datetime.now(UTC) - timedelta(days=6)).isoformat())
    )
    db.session.commit()
    _missed_call(twilio, date_created=datetime.now(UTC) - timedelta(days=5))
    assert reconcile_recordings() == 1


def test_an_unreachable_twilio_fails_the_run_and_keeps_the_watermark(
    app: Any, twilio: TwilioHelper
) -> None:
    app.config["TWILIO_API_URL"] = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TwilioApiError, match="Could not reach"):
        reconcile_recordings()
    db.session.rollback()
    assert db.session.get(JobState, WATERMARK) is None
