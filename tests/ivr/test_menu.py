"""The outage menu: 1 message, 2 backup number (screened), 3 latest update, wrong keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.models import Call, OutageState, utcnow
from tests.conftest import PUBLIC_URL
from tests.twiml import only, parse, said, verbs

RECORD = ["Say", "Record", "Say", "Hangup"]


@pytest.fixture
def call(twilio: Any, subscriber: Any, outage: Any) -> dict[str, str]:
    """A call to a subscriber with a backup number, answered by the outage menu."""
    subscriber(number="+14155550100", name="Acme", backup_number="+14155550199")
    outage(caller_message="Acme's phones are down.")
    params = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", params)
    return params


def press(twilio: Any, call: dict[str, str], digits: str, visit: int = 0) -> Any:
    return parse(twilio.post(f"/ivr/menu?visit={visit}", {**call, "Digits": digits}))


def stored_call() -> Call:
    db.session.rollback()
    row = db.session.scalar(select(Call))
    assert row is not None
    return row


def test_one_leaves_a_message(twilio: Any, call: dict[str, str]) -> None:
    assert verbs(press(twilio, call, "1")) == RECORD


def test_silence_leaves_a_message(twilio: Any, call: dict[str, str]) -> None:
    assert verbs(parse(twilio.post("/ivr/record", call))) == RECORD
    assert stored_call().menu_choices == ["none"]


def test_two_connects_to_the_backup_number_screened_and_never_read_aloud(
    twilio: Any, call: dict[str, str]
) -> None:
    root = press(twilio, call, "2")
    assert verbs(root) == ["Say", "Dial"]
    dial = only(root, "Dial")
    assert (dial.get("answerOnBridge"), dial.get("action")) == (
        "true",
        f"{PUBLIC_URL}/ivr/backup-result",
    )
    number = only(dial, "Number")
    assert number.text == "+14155550199"
    assert number.get("url") == f"{PUBLIC_URL}/ivr/screen?number=%2B14155550100&language=en"
    assert not any("0199" in text for text in said(root))
    assert stored_call().outcome == "backup"


def test_two_without_a_backup_number_is_an_invalid_choice(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    params = twilio.call_params("+14155550100")
    root = press(twilio, params, "2")
    assert said(root)[0] == "Sorry, that is not one of the choices."
    assert "Gather" in verbs(root)


def test_three_gives_the_latest_update_then_the_menu(
    twilio: Any, call: dict[str, str], outage: Any
) -> None:
    root = press(twilio, call, "3")
    assert said(root)[0].startswith("The problem is being investigated. Acme's phones are down.")
    assert only(root, "Gather").get("action") == f"{PUBLIC_URL}/ivr/menu?visit=1"


def test_the_update_speaks_the_state_and_a_future_etr(
    twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    row = outage(caller_message="Down.")
    row.state, row.etr = OutageState.IDENTIFIED, utcnow() + timedelta(hours=2, minutes=5)
    db.session.commit()
    root = press(twilio, twilio.call_params("+14155550100"), "3")
    assert said(root)[0] == (
        "The cause has been found and is being fixed. Down. Service should be back in about 2 hours."
    )


def test_a_past_etr_is_never_spoken(twilio: Any, subscriber: Any, outage: Any) -> None:
    subscriber(number="+14155550100")
    row = outage(caller_message="Down.")
    row.etr = utcnow() - timedelta(minutes=10)
    db.session.commit()
    params = twilio.call_params("+14155550100")
    for root in (parse(twilio.post("/ivr/voice", params)), press(twilio, params, "3")):
        assert not any("back" in text for text in said(root))


@pytest.mark.parametrize("digit", ["0", "4", "9", "*", "#"])
def test_a_wrong_key_says_so_and_repeats_the_menu_at_most_twice(
    twilio: Any, call: dict[str, str], digit: str
) -> None:
    first = press(twilio, call, digit, visit=0)
    assert said(first)[0] == "Sorry, that is not one of the choices."
    assert only(first, "Gather").get("action") == f"{PUBLIC_URL}/ivr/menu?visit=1"
    second = press(twilio, call, digit, visit=1)
    assert only(second, "Gather").get("action") == f"{PUBLIC_URL}/ivr/menu?visit=2"
    third = press(twilio, call, digit, visit=2)
    assert verbs(third) == ["Say", *RECORD]  # "not a choice", then the recording
    assert stored_call().menu_choices == [digit, digit, digit]


def test_asking_for_updates_forever_ends_in_a_recording(twilio: Any, call: dict[str, str]) -> None:
    assert "Gather" in verbs(press(twilio, call, "3", visit=0))
    assert "Gather" in verbs(press(twilio, call, "3", visit=1))
    assert verbs(press(twilio, call, "3", visit=2))[-3:] == ["Record", "Say", "Hangup"]


@pytest.mark.parametrize("visit", ["-1", "x", "99"])
def test_a_forged_visit_counter_is_a_400(twilio: Any, call: dict[str, str], visit: str) -> None:
    response = twilio.post(f"/ivr/menu?visit={visit}", {**call, "Digits": "1"})
    assert response.status_code == 400


def _child(call: dict[str, str]) -> dict[str, str]:
    return {
        "CallSid": "CA" + "d4" * 16,
        "ParentCallSid": call["CallSid"],
        "AccountSid": call["AccountSid"],
        "From": call["From"],
        "To": "+14155550199",
        "CallStatus": "in-progress",
    }


SCREEN = "/ivr/screen?number=%2B14155550100&language=en"
SCREEN_RESULT = "/ivr/screen-result?number=%2B14155550100&language=en"


def test_the_backup_callee_is_asked_to_press_one(twilio: Any, call: dict[str, str]) -> None:
    root = parse(twilio.post(SCREEN, _child(call)))
    assert verbs(root) == ["Gather", "Say", "Hangup"]
    gather = only(root, "Gather")
    assert gather.get("action") == f"{PUBLIC_URL}{SCREEN_RESULT}"
    assert gather.get("timeout") == "8"
    assert "This is a call for Acme" in said(root)[0] and "press 1" in said(root)[0]


def test_an_accepted_backup_call_ends_when_the_conversation_does(
    twilio: Any, call: dict[str, str]
) -> None:
    press(twilio, call, "2")
    accepted = parse(twilio.post(SCREEN_RESULT, {**_child(call), "Digits": "1"}))
    assert verbs(accepted) == []  # empty TwiML: Twilio bridges the two calls
    after = parse(twilio.post("/ivr/backup-result", {**call, "DialCallStatus": "completed"}))
    assert verbs(after) == ["Hangup"]
    assert stored_call().outcome == "backup-accepted"


@pytest.mark.parametrize(
    ("status", "screen_digit"),
    [
        ("completed", None),
        ("completed", "5"),
        ("no-answer", None),
        ("busy", None),
        ("failed", None),
    ],
)
def test_a_backup_call_not_accepted_goes_back_to_backline_voicemail(
    twilio: Any, call: dict[str, str], status: str, screen_digit: str | None
) -> None:
    press(twilio, call, "2")
    if screen_digit:
        declined = parse(twilio.post(SCREEN_RESULT, {**_child(call), "Digits": screen_digit}))
        assert verbs(declined) == ["Say", "Hangup"]
    root = parse(twilio.post("/ivr/backup-result", {**call, "DialCallStatus": status}))
    assert verbs(root) == ["Say", *RECORD]
    assert said(root)[0] == "We could not connect you."
    assert stored_call().outcome == "voicemail"


def test_a_caller_who_hangs_up_during_the_backup_call_just_ends(
    twilio: Any, call: dict[str, str]
) -> None:
    press(twilio, call, "2")
    assert verbs(
        parse(twilio.post("/ivr/backup-result", {**call, "DialCallStatus": "canceled"}))
    ) == ["Hangup"]


def test_each_choice_is_stored_on_the_call(twilio: Any, call: dict[str, str]) -> None:
    press(twilio, call, "3", visit=0)
    press(twilio, call, "7", visit=1)
    press(twilio, call, "1", visit=2)
    assert stored_call().menu_choices == ["3", "7", "1"]
