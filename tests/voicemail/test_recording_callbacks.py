"""Recording callbacks as Twilio may send them: SIDs in upper-case hex, recordings Twilio reports
absent or failed; and as nobody but an attacker would: SIDs followed by a line break."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Voicemail, VoicemailStatus
from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import Recording
from tests.conftest import ADMIN_EMAIL, SmtpSink, TwilioHelper
from tests.helpers import wait_until
from tests.support.twilio import ACCOUNT_SID


def _voicemails() -> list[Voicemail]:
    db.session.rollback()  # see what the job runner committed
    return list(db.session.scalars(select(Voicemail)))


def test_sids_in_upper_case_hex_are_accepted_kept_as_given_and_the_email_goes(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    """Twilio publishes the pattern `^RE[0-9a-fA-F]{32}$`; a SID is opaque, never re-cased."""
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    call |= {"CallSid": "CA" + secrets.token_hex(16).upper(), "AccountSid": ACCOUNT_SID.upper()}
    assert twilio.post("/ivr/voice", call).status_code == 200
    recording = "RE" + secrets.token_hex(16).upper()
    twilio.media.state.recordings[recording] = Recording(make_wav(2))

    params = twilio.recording_params(call, recording, 2) | {"AccountSid": call["AccountSid"]}
    answer = twilio.post("/voicemail/recording-status", params)

    assert answer.status_code == 204, answer.text
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"
    [voicemail] = _voicemails()
    assert (voicemail.recording_sid, voicemail.call_sid) == (recording, call["CallSid"])
    assert any(recording in request["path"] for request in twilio.media.state.requests)


@pytest.mark.parametrize("field", ["RecordingSid", "CallSid", "AccountSid"])
def test_a_sid_followed_by_a_line_break_is_a_400_not_a_500(
    twilio: TwilioHelper, field: str
) -> None:
    params = twilio.recording_params(twilio.call_params("+14155550100"), "RE" + "2" * 32)
    params[field] += "\n"

    answer = twilio.post("/voicemail/recording-status", params)

    assert answer.status_code == 400, answer.text
    assert field in answer.json["error"]
    assert _voicemails() == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/voicemail/transcription", "RecordingSid"),
        ("/ivr/voice", "CallSid"),
        ("/forwarding/sms-status", "MessageSid"),
    ],
)
def test_other_webhooks_refuse_a_sid_followed_by_a_line_break(
    twilio: TwilioHelper, path: str, field: str
) -> None:
    prefix = {"RecordingSid": "RE", "CallSid": "CA", "MessageSid": "SM"}[field]
    params = {
        **twilio.call_params("+14155550100"),
        "RecordingSid": "RE" + "3" * 32,
        "TranscriptionStatus": "completed",
        "MessageStatus": "delivered",
        field: prefix + "4" * 32 + "\n",
    }

    answer = twilio.post(path, params)

    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("status", ["absent", "failed"])
def test_a_recording_twilio_did_not_make_alerts_the_admins_once(
    twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink, status: str
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage()
    call = twilio.call_params("+14155550100", from_="+12125550142")
    assert twilio.post("/ivr/voice", call).status_code == 200
    recording = "RE" + secrets.token_hex(16)
    params = twilio.recording_params(call, recording, 0) | {"RecordingStatus": status}

    for _ in range(3):  # Twilio repeats a callback it thinks went unanswered
        assert twilio.post("/voicemail/recording-status", params).status_code == 204

    [alert] = smtp.wait_for(1)
    assert alert["To"] == ADMIN_EMAIL
    assert alert["Subject"] == "Voicemail for Acme Plumbing could not be processed"
    body = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Twilio reported" in body and status in body
    assert recording in body and "212-555-0142" in body
    wait_until(lambda: len(_voicemails()) == 1)
    [voicemail] = _voicemails()
    assert voicemail.status == VoicemailStatus.FAILED
    assert db.session.scalar(select(func.count()).select_from(Voicemail)) == 1
    assert twilio.media.state.requests == []  # nothing to fetch
