"""/ivr/voice and its action URLs, asserted on parsed TwiML."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call
from app.outages import update_outage
from tests.conftest import PUBLIC_URL
from tests.twiml import only, parse, said, verbs


def test_outage_answer_says_the_caller_message_then_records(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")

    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))

    assert verbs(root) == ["Say", "Say", "Say", "Record", "Say", "Hangup"]
    assert said(root)[:2] == [
        "You have reached Acme Plumbing.",
        "Acme cannot take calls right now.",
    ]
    assert "delivered by email" in said(root)[2]
    record = only(root, "Record")
    assert record.get("action") == f"{PUBLIC_URL}/ivr/after-record"
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/voicemail/recording-status"
    assert record.get("recordingStatusCallbackEvent") == "completed absent"
    assert record.get("maxLength") == "180"
    assert record.get("timeout") == "5"
    assert record.get("finishOnKey") == "#"
    assert record.get("playBeep") == "true"
    # The verb after <Record> is what a caller who said nothing hears.
    assert said(root)[3] == "We did not receive a message. Goodbye."


def test_the_call_row_is_stored_once_per_call_sid(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    person = subscriber(number="+14155550100")
    current = outage()
    params = twilio.call_params("+14155550100", from_="+12125550142")
    twilio.post("/ivr/voice", params)
    twilio.post("/ivr/voice", params)  # Twilio retries a webhook that timed out

    [call] = db.session.scalars(select(Call)).all()
    assert (call.call_sid, call.subscriber_id, call.outage_id) == (
        params["CallSid"],
        person.id,
        current.id,
    )
    assert (call.from_number, call.outcome) == ("+12125550142", "ivr")


def test_forwarded_calls_match_the_subscriber_on_forwarded_from(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage()
    params = {**twilio.call_params("+14155559999"), "ForwardedFrom": "+14155550100"}
    root = parse(twilio.post("/ivr/voice", params))
    assert said(root)[0] == "You have reached Acme Plumbing."


def test_unknown_numbers_get_a_generic_greeting_and_voicemail(twilio: Any, outage: Any) -> None:
    outage()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155559999")))
    assert said(root)[0] == "Thank you for calling."
    assert "Record" in verbs(root)


def test_the_subscribers_language_is_spoken(twilio: Any, subscriber: Any, outage: Any) -> None:
    subscriber(number="+12125550142", name="Rivera Law", language="es")
    outage(caller_message="No podemos atender.")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+12125550142")))
    assert said(root)[0] == "Ha llamado a Rivera Law."
    assert {s.get("language") for s in root.iter("Say")} == {"es-ES"}


def test_the_most_recently_updated_outage_is_heard(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", region="us-west")
    older = outage(caller_message="Older outage.")
    outage(caller_message="Regional outage.", regions=["us-west"])
    update_outage(db.session(), older, actor="test", caller_message="Older outage, updated.")
    db.session.commit()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert "Older outage, updated." in said(root)


@pytest.fixture
def primary(app: Any) -> None:
    app.config["PRIMARY_SIP_DOMAIN"] = "sip.primary.example"


def test_calls_pass_through_to_the_primary_without_an_outage(
    twilio: Any, subscriber: Any, primary: None
) -> None:
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    dial = only(root, "Dial")
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("timeout") == "20"
    assert dial.get("action") == f"{PUBLIC_URL}/ivr/dial-result"
    assert only(dial, "Sip").text == "sip:+14155550100@sip.primary.example"


def test_an_outage_elsewhere_does_not_touch_other_subscribers(
    twilio: Any, subscriber: Any, outage: Any, primary: None
) -> None:
    subscriber(number="+14155550100", region="us-west")
    outage(regions=["eu-west"])
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert verbs(root) == ["Dial"]


def test_primary_forward_url_template_is_used_for_tel_targets(
    app: Any, twilio: Any, subscriber: Any
) -> None:
    app.config["PRIMARY_FORWARD_URL"] = "tel:{number}"
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert only(only(root, "Dial"), "Number").text == "+14155550100"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("completed", ["Hangup"]),
        ("canceled", ["Hangup"]),
        ("busy", ["Say", "Say", "Record", "Say", "Hangup"]),
        ("no-answer", ["Say", "Say", "Record", "Say", "Hangup"]),
        ("failed", ["Say", "Say", "Record", "Say", "Hangup"]),
    ],
)
def test_a_failed_pass_through_ends_in_voicemail(
    twilio: Any, subscriber: Any, primary: None, status: str, expected: list[str]
) -> None:
    subscriber(number="+14155550100")
    params = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", params)
    root = parse(twilio.post("/ivr/dial-result", {**params, "DialCallStatus": status}))
    assert verbs(root) == expected


def test_after_record_thanks_the_caller_and_hangs_up(twilio: Any, subscriber: Any) -> None:
    subscriber(number="+14155550100", language="fr")
    params = {
        **twilio.call_params("+14155550100"),
        "RecordingSid": "RE" + "0" * 32,
        "Digits": "hangup",
    }
    root = parse(twilio.post("/ivr/after-record", params))
    assert verbs(root) == ["Say", "Hangup"]
    assert said(root)[0].startswith("Merci.")


@pytest.mark.parametrize("call_sid", ["", "CA123", "XX" + "a" * 32, "CA" + "g" * 32])
def test_a_malformed_call_sid_is_a_clear_400(twilio: Any, call_sid: str) -> None:
    response = twilio.post(
        "/ivr/voice", {**twilio.call_params("+14155550100"), "CallSid": call_sid}
    )
    assert response.status_code == 400
    assert "CallSid" in response.json["error"]
    assert db.session.scalar(select(func.count()).select_from(Call)) == 0


def test_the_fallback_url_answers_and_records_the_call(twilio: Any, subscriber: Any) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    params = {
        **twilio.call_params("+14155550100"),
        "ErrorCode": "11200",
        "ErrorUrl": "https://x/ivr/voice",
    }
    root = parse(twilio.post("/ivr/fallback", params))
    assert said(root)[0] == "You have reached Acme Plumbing."
    assert "Record" in verbs(root)
    assert db.session.scalar(select(Call.outcome)) == "fallback"


def test_the_fallback_url_answers_with_the_database_unreachable(settings: dict[str, Any]) -> None:
    from app import create_app
    from tests.conftest import TwilioHelper
    from tests.helpers import free_port

    broken = create_app(
        {**settings, "DATABASE_URL": f"postgresql://backline@127.0.0.1:{free_port()}/x"}
    )
    helper = TwilioHelper(broken.test_client(), media=None)  # type: ignore[arg-type]
    root = parse(helper.post("/ivr/fallback", helper.call_params("+14155550100")))
    assert said(root)[0] == "Thank you for calling."
    record = only(root, "Record")
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/voicemail/recording-status"


def test_call_status_stores_how_the_call_ended(twilio: Any, subscriber: Any, outage: Any) -> None:
    subscriber(number="+14155550100")
    outage()
    params = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", params)
    response = twilio.post(
        "/ivr/call-status", {**params, "CallStatus": "completed", "CallDuration": "42"}
    )
    assert response.status_code == 204
    call = db.session.scalar(select(Call))
    assert call is not None
    db.session.refresh(call)
    assert call.status == "completed"
    assert call.ended_at is not None
