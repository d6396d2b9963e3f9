"""/ivr/voice passing calls through to the primary, and failing over when that dial fails."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import OutageSource, OutageState, PrimaryFailure
from tests.conftest import PUBLIC_URL
from tests.ivr.voice_helpers import MENU, fresh_call
from tests.twiml import only, parse, said, verbs


@pytest.fixture
def primary(app: Any) -> None:
    app.config["PRIMARY_SIP_DOMAIN"] = "sip.primary.example"


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
