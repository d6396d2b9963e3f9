"""/ivr/voice, the pass-through and its failover, asserted on parsed TwiML."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call, OutageSource, OutageState, PrimaryFailure
from app.outages import update_outage
from tests.conftest import PUBLIC_URL
from tests.twiml import only, parse, said, verbs

MENU = ["Say", "Say", "Gather", "Redirect"]


def fresh_call() -> Call:
    db.session.rollback()
    call = db.session.scalar(select(Call))
    assert call is not None
    return call


@pytest.fixture
def primary(app: Any) -> None:
    app.config["PRIMARY_SIP_DOMAIN"] = "sip.primary.example"


def test_an_outage_greets_by_name_gives_the_message_and_offers_the_menu(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing", backup_number="+14155550199")
    outage(caller_message="Acme cannot take calls right now.")

    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))

    assert verbs(root) == MENU
    assert said(root)[:2] == [
        "You have reached Acme Plumbing.",
        "Acme cannot take calls right now.",
    ]
    gather = only(root, "Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("timeout") == "5"
    assert gather.get("action") == f"{PUBLIC_URL}/ivr/menu?visit=0"
    assert [s.text for s in gather.iter("Say")] == [
        "To leave a message, press 1.",
        "To be connected to another number where you can reach them, press 2.",
        "To hear the latest update, press 3.",
    ]
    assert not any("0199" in text for text in root.itertext())  # the backup is never read aloud
    # Silence at the menu leads to the recording.
    assert only(root, "Redirect").text == f"{PUBLIC_URL}/ivr/record"


def test_without_a_backup_number_option_two_is_not_offered(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    gather = only(parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100"))), "Gather")
    assert not any("press 2" in (s.text or "") for s in gather.iter("Say"))


def test_the_recording_uses_the_configured_settings(app: Any, twilio: Any, subscriber: Any) -> None:
    app.config.update(
        BACKLINE_RECORD_MAX_LENGTH=120,
        BACKLINE_RECORD_SILENCE_TIMEOUT=7,
        BACKLINE_RECORD_FINISH_ON_KEY="*",
        BACKLINE_RECORD_BEEP=False,
    )
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/record", twilio.call_params("+14155550100")))

    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert "delivered by email" in said(root)[0]
    record = only(root, "Record")
    assert record.get("action") == f"{PUBLIC_URL}/ivr/after-record"
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/voicemail/recording-status"
    assert record.get("recordingStatusCallbackEvent") == "completed absent"
    assert (record.get("maxLength"), record.get("timeout")) == ("120", "7")
    assert (record.get("finishOnKey"), record.get("playBeep")) == ("*", "false")
    assert said(root)[1] == "We did not receive a message. Goodbye."


def test_the_call_row_is_stored_once_per_call_sid(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    person = subscriber(number="+14155550100")
    current = outage()
    params = twilio.call_params("+14155550100", from_="+12125550142")
    twilio.post("/ivr/voice", params)
    twilio.post("/ivr/voice", params)  # Twilio retries a webhook that timed out

    call = fresh_call()
    assert db.session.scalar(select(func.count()).select_from(Call)) == 1
    assert (call.call_sid, call.subscriber_id, call.outage_id) == (
        params["CallSid"],
        person.id,
        current.id,
    )
    assert (call.from_number, call.outcome, call.language) == ("+12125550142", "ivr", "en")


def test_forwarded_calls_match_the_subscriber_on_forwarded_from(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage()
    params = {**twilio.call_params("+14155559999"), "ForwardedFrom": "+14155550100"}
    assert said(parse(twilio.post("/ivr/voice", params)))[0] == "You have reached Acme Plumbing."


def test_unknown_numbers_get_a_generic_greeting(twilio: Any, outage: Any) -> None:
    outage()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155559999")))
    assert said(root)[0] == "Thank you for calling."
    assert verbs(root) == MENU


@pytest.mark.parametrize(
    ("language", "greeting", "speech"),
    [
        ("en", "You have reached Rivera Law.", "en-US"),
        ("es", "Ha llamado a Rivera Law.", "es-ES"),
        ("fr", "Vous êtes bien chez Rivera Law.", "fr-FR"),
    ],
)
def test_the_subscribers_language_is_spoken(
    twilio: Any, subscriber: Any, outage: Any, language: str, greeting: str, speech: str
) -> None:
    subscriber(number="+12125550142", name="Rivera Law", language=language)
    outage()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+12125550142")))
    assert said(root)[0] == greeting
    assert {s.get("language") for s in root.iter("Say")} == {speech}


def test_a_message_in_another_language_is_replaced_by_the_localised_template(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+12125550142", language="es")
    row = outage(caller_message="We are down.")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+12125550142")))
    assert "We are down." not in said(root)
    assert said(root)[1].startswith("No podemos atender su llamada")
    update_outage(db.session(), row, actor="test", caller_messages={"es": "Estamos caídos."})
    db.session.commit()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+12125550142")))
    assert said(root)[1] == "Estamos caídos."


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


def test_calls_pass_through_to_the_primary_without_an_outage(
    twilio: Any, subscriber: Any, primary: None
) -> None:
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    dial = only(root, "Dial")
    assert (dial.get("answerOnBridge"), dial.get("timeout")) == ("true", "20")
    assert dial.get("action") == f"{PUBLIC_URL}/ivr/dial-result"
    assert only(dial, "Sip").text == "sip:+14155550100@sip.primary.example"


def test_the_dial_timeout_is_configurable(
    app: Any, twilio: Any, subscriber: Any, primary: None
) -> None:
    app.config["BACKLINE_DIAL_TIMEOUT"] = 12
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert only(root, "Dial").get("timeout") == "12"


def test_primary_forward_url_template_is_used_for_tel_targets(
    app: Any, twilio: Any, subscriber: Any
) -> None:
    app.config["PRIMARY_FORWARD_URL"] = "tel:{number}"
    subscriber(number="+14155550100")
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert only(only(root, "Dial"), "Number").text == "+14155550100"


def test_an_outage_elsewhere_does_not_touch_other_subscribers(
    twilio: Any, subscriber: Any, outage: Any, primary: None
) -> None:
    subscriber(number="+14155550100", region="us-west")
    outage(regions=["eu-west"])
    assert verbs(parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))) == ["Dial"]


@pytest.mark.parametrize(
    ("source", "state", "answered_at_once"),
    [
        (OutageSource.ADMIN, OutageState.INVESTIGATING, True),
        (OutageSource.ADMIN, OutageState.IDENTIFIED, True),
        (OutageSource.ADMIN, OutageState.MONITORING, False),
        (OutageSource.API, OutageState.INVESTIGATING, True),
        (OutageSource.ALERTMANAGER, OutageState.INVESTIGATING, False),
        (OutageSource.DETECTOR, OutageState.IDENTIFIED, False),
    ],
)
def test_which_outages_answer_at_once_and_which_pass_through(
    twilio: Any,
    subscriber: Any,
    outage: Any,
    primary: None,
    source: str,
    state: str,
    answered_at_once: bool,
) -> None:
    subscriber(number="+14155550100")
    row = outage()
    row.source, row.state = source, state
    db.session.commit()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert (verbs(root) == MENU) is answered_at_once
    assert (verbs(root) == ["Dial"]) is not answered_at_once


def _dial_result(twilio: Any, status: str, sip: str | None = None) -> Any:
    params = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", params)
    extra = {"DialCallStatus": status, **({"DialSipResponseCode": sip} if sip else {})}
    return parse(twilio.post("/ivr/dial-result", {**params, **extra}))


def _failures() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(PrimaryFailure)) or 0)


@pytest.mark.parametrize(
    ("status", "sip", "evidence"),
    [
        ("busy", None, False),
        ("no-answer", None, False),
        ("failed", "503", True),
        ("failed", "500", True),
        ("failed", "408", True),
        ("failed", None, True),  # no response at all
        ("failed", "404", False),
        ("failed", "486", False),
    ],
)
def test_a_failed_pass_through_fails_over_and_counts_only_real_failures(
    twilio: Any, subscriber: Any, primary: None, status: str, sip: str | None, evidence: bool
) -> None:
    subscriber(number="+14155550100", name="Acme")
    root = _dial_result(twilio, status, sip)
    assert verbs(root) == ["Say", "Say", "Record", "Say", "Hangup"]
    assert (
        said(root)[0]
        == "You have reached Acme. The person you are calling cannot take your call right now."
    )
    assert _failures() == (1 if evidence else 0)
    call = fresh_call()
    assert (call.dial_status, call.sip_code) == (status, int(sip) if sip else None)


@pytest.mark.parametrize("status", ["completed", "answered", "canceled"])
def test_a_connected_or_abandoned_pass_through_just_ends(
    twilio: Any, subscriber: Any, primary: None, status: str
) -> None:
    subscriber(number="+14155550100")
    assert verbs(_dial_result(twilio, status)) == ["Hangup"]
    assert _failures() == 0


def test_a_failed_pass_through_tries_the_backup_number_first(
    twilio: Any, subscriber: Any, primary: None
) -> None:
    subscriber(number="+14155550100", backup_number="+14155550199")
    root = _dial_result(twilio, "no-answer")
    number = only(only(root, "Dial"), "Number")
    assert number.text == "+14155550199"
    assert number.get("url", "").startswith(f"{PUBLIC_URL}/ivr/screen?")


def test_a_pass_through_outage_switches_to_the_ivr_when_the_dial_fails(
    twilio: Any, subscriber: Any, outage: Any, primary: None
) -> None:
    subscriber(number="+14155550100")
    row = outage(caller_message="Monitoring a fix.")
    row.state = OutageState.MONITORING
    db.session.commit()
    root = _dial_result(twilio, "failed", "503")
    assert verbs(root) == MENU
    assert "Monitoring a fix." in said(root)


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


def test_call_status_stores_how_the_call_ended(twilio: Any, subscriber: Any, outage: Any) -> None:
    subscriber(number="+14155550100")
    outage()
    params = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", params)
    response = twilio.post(
        "/ivr/call-status", {**params, "CallStatus": "completed", "CallDuration": "42"}
    )
    assert response.status_code == 204
    call = fresh_call()
    assert (call.status, call.duration) == ("completed", 42)
    assert call.ended_at is not None


def test_a_subscriber_without_a_name_is_greeted_with_their_number(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name=None)
    outage()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    assert said(root)[0] == "You have reached +1 415-555-0100."


def test_changing_the_message_drops_translations_of_the_old_one(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+12125550142", language="es")
    row = outage(caller_message="Down.")
    update_outage(db.session(), row, actor="test", caller_messages={"es": "Caído."})
    db.session.commit()
    update_outage(db.session(), row, actor="test", caller_message="Back soon.")
    db.session.commit()
    root = parse(twilio.post("/ivr/voice", twilio.call_params("+12125550142")))
    assert "Caído." not in said(root)
