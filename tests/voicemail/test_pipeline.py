"""From recording callback to email: one email per address, whatever the plan or the retries."""

from __future__ import annotations

import re
import threading
from typing import Any

from sqlalchemy import func, select

from app.core.extensions import db, jobs
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from tests.conftest import ADMIN_EMAIL, SmtpSink
from tests.helpers import mp3_attachment, mp3_duration, wait_until


def _count(model: type) -> int:
    db.session.rollback()  # see what the job runner committed, not this test's snapshot
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _delivery_states() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Delivery.state)).all())


def _without_link_token(body: str) -> str:
    return re.sub(r"/voicemail/listen/[^\s\"<]+", "/voicemail/listen/TOKEN", body)


def _comparable(message: Any) -> dict[str, Any]:
    """An email with the parts that must differ between two subscribers (address, ids) removed."""
    return {
        "subject": message["Subject"],
        "from": message["From"],
        "auto_submitted": message["Auto-Submitted"],
        "parts": [p.get_content_type() for p in message.walk()],
        "text": _without_link_token(message.get_body(("plain",)).get_content()),
        "html": _without_link_token(message.get_body(("html",)).get_content()),
        "attachment": mp3_attachment(message),
    }


def test_a_basic_plan_subscriber_gets_exactly_what_a_premium_one_gets(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", name="Same Name", plan="basic", emails=["basic@example.com"])
    subscriber(
        number="+14155550101", name="Same Name", plan="premium", emails=["premium@example.com"]
    )
    outage()
    recording = twilio.add_recording(4)
    for number in ("+14155550100", "+14155550101"):
        call = twilio.call_params(number)
        twilio.post("/ivr/voice", call)
        twilio.post("/voicemail/recording-status", twilio.recording_params(call, recording, 4))
        recording = twilio.add_recording(4)  # each call its own recording, same audio

    basic, premium = sorted(smtp.wait_for(2), key=lambda m: str(m["To"]))
    assert (basic["To"], premium["To"]) == ("basic@example.com", "premium@example.com")
    assert _comparable(basic) == _comparable(premium)


def test_the_same_callback_posted_twice_yields_one_email(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", call)
    recording = twilio.add_recording(3)
    params = twilio.recording_params(call, recording, 3)
    assert twilio.post("/voicemail/recording-status", params).status_code == 204
    smtp.wait_for(1)
    assert twilio.post("/voicemail/recording-status", params).status_code == 204
    jobs.wait_idle(10)
    smtp.wait_for(1)
    assert _count(Voicemail) == 1
    assert _count(Delivery) == 1


def test_concurrent_repeats_with_an_idempotency_token_yield_one_email(
    app: Any, twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", call)
    params = twilio.recording_params(call, twilio.add_recording(3), 3)
    headers = {"I-Twilio-Idempotency-Token": "token-123"}
    statuses: list[int] = []

    def post() -> None:
        helper = type(twilio)(app.test_client(), twilio.media)
        statuses.append(
            helper.post("/voicemail/recording-status", params, headers=headers).status_code
        )

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [204] * 4
    smtp.wait_for(1)
    jobs.wait_idle(10)
    assert len(smtp.messages) == 1
    assert _count(Voicemail) == 1


def test_each_address_of_the_subscriber_gets_one_email(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", emails=["office@acme.example", "owner@acme.example"])
    outage()
    twilio.leave_voicemail("+14155550100", seconds=2)
    messages = smtp.wait_for(2)
    assert sorted(str(m["To"]) for m in messages) == ["office@acme.example", "owner@acme.example"]
    assert len({m["Message-ID"] for m in messages}) == 2
    wait_until(lambda: _delivery_states() == ["accepted", "accepted"])


def test_a_voicemail_for_an_unknown_number_goes_to_the_admins(
    twilio: Any, outage: Any, smtp: SmtpSink
) -> None:
    outage()
    twilio.leave_voicemail("+14155559999", seconds=2)
    [message] = smtp.wait_for(1)
    assert message["To"] == ADMIN_EMAIL
    assert "an unknown number" in message.get_body(("plain",)).get_content()


def test_a_withheld_caller_is_shown_as_withheld(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    twilio.leave_voicemail("+14155550100", seconds=2, from_="anonymous")
    [message] = smtp.wait_for(1)
    assert message["Subject"].startswith("Voicemail from Withheld")


def test_an_absent_recording_is_acknowledged_kept_as_failed_and_never_fetched(
    twilio: Any, subscriber: Any
) -> None:
    """The admins hear of it (tests/voicemail/test_recording_callbacks.py); nothing is emailed."""
    subscriber(number="+14155550100")
    call = twilio.call_params("+14155550100")
    params = {**twilio.recording_params(call, "RE" + "0" * 32), "RecordingStatus": "absent"}
    assert twilio.post("/voicemail/recording-status", params).status_code == 204
    assert _count(Voicemail) == 1
    assert db.session.scalar(select(Voicemail.status)) == VoicemailStatus.FAILED
    assert _count(Delivery) == 0
    assert twilio.media.state.requests == []


def test_the_mp3_is_a_real_mp3_of_the_recordings_length(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100")
    outage()
    recording = twilio.leave_voicemail("+14155550100", seconds=12)
    [message] = smtp.wait_for(1)
    assert abs(mp3_duration(mp3_attachment(message)) - 12.0) < 0.15
    wait_until(lambda: _delivery_states() == [DeliveryState.ACCEPTED])
    voicemail = db.session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording))
    assert voicemail is not None
    assert voicemail.status == VoicemailStatus.STORED
    assert voicemail.duration_ms == 12000


def test_a_call_backline_never_saw_is_attributed_through_twilios_calls_api(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    call = twilio.call_params("+14155550100", from_="+12125550142")  # /ivr/voice never ran
    twilio.media.state.calls[call["CallSid"]] = {"to": "+14155550100", "from": "+12125550142"}
    recording = twilio.add_recording(2)
    assert (
        twilio.post(
            "/voicemail/recording-status", twilio.recording_params(call, recording, 2)
        ).status_code
        == 204
    )
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"
    assert message["Subject"].startswith("Voicemail from +1 212-555-0142")


def test_a_call_twilio_does_not_know_either_goes_to_the_admins(twilio: Any, smtp: SmtpSink) -> None:
    call = twilio.call_params("+14155550100")
    recording = twilio.add_recording(2)
    twilio.post("/voicemail/recording-status", twilio.recording_params(call, recording, 2))
    [message] = smtp.wait_for(1)
    assert message["To"] == ADMIN_EMAIL
