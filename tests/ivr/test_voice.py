"""/ivr/voice answering during an outage: greeting, message, menu, recording and the call row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Call
from app.outages.lifecycle import update_outage
from tests.conftest import PUBLIC_URL
from tests.ivr.voice_helpers import MENU, fresh_call
from tests.twiml import only, parse, said, verbs


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
