"""Fallback URL requests meet the detector: only the SIP trunk's disaster-recovery path is
evidence that the primary is down; Backline's own failed webhook alerts the admins instead.

Driven end to end: signed webhooks (from two app instances, as two web processes), the
detector's check, `backline twilio configure` for the trunk's URL, the admin alert through the
job queue (the real worker when REDIS_URL is set) and real SMTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.core.extensions import db
from app.models import Call, Outage, PrimaryFailure
from app.outages.detector import check_primary
from app.twilio.simulator.media_server import MediaServer
from tests.app.outages.detector_helpers import FAILURES, _detector_settings
from tests.app.twilio.twilio_configure_helpers import AddNumber
from tests.app.twilio.twilio_configure_helpers import (
    numbers as numbers,  # a fixture: pytest finds it
)
from tests.conftest import ADMIN_EMAIL, Invoke
from tests.support.app_state import dispose_engines, settle
from tests.support.smtp import SmtpSink
from tests.support.twilio import PUBLIC_URL, TwilioHelper
from tests.twiml import parse, said, verbs

NUMBER = "+14155550100"
VOICE_URL = f"{PUBLIC_URL}/ivr/voice"


@pytest.fixture
def detecting(app: Flask, subscriber: Any) -> Flask:
    """The detector counting failed calls (no probe), and a subscriber to call."""
    app.config.update(_detector_settings(None))
    subscriber(number=NUMBER, name="Acme Plumbing")
    return app


@pytest.fixture
def second_process(settings: dict[str, Any], media: MediaServer) -> Iterator[TwilioHelper]:
    """Another web process: its own app, its own memory of what it has already alerted."""
    other = create_app({**settings, **_detector_settings(None)})
    yield TwilioHelper(other.test_client(), media)
    dispose_engines(other)


def fallback(twilio: TwilioHelper, query: str = "", **fields: str) -> bytes:
    """One call's signed request to /ivr/fallback; the TwiML the caller got."""
    answer = twilio.post("/ivr/fallback", {**twilio.call_params(NUMBER), **fields}, query=query)
    root = parse(answer)
    assert said(root)[0] == "You have reached Acme Plumbing."
    assert verbs(root)[-2:] == ["Gather", "Redirect"]
    return bytes(answer.data)


def count(model: type[Any]) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_backlines_own_failures_answer_callers_alert_once_and_open_no_outage(
    detecting: Flask, twilio: TwilioHelper, second_process: TwilioHelper, smtp: SmtpSink
) -> None:
    own = {"ErrorCode": "11200", "ErrorUrl": VOICE_URL}
    answers = {fallback(twilio, **own) for _ in range(FAILURES)}
    answers |= {fallback(second_process, **own) for _ in range(FAILURES)}
    answers.add(fallback(twilio, "source=trunk"))  # what the primary's failure gets

    assert len(answers) == 1  # every caller hears exactly what they heard before
    assert check_primary() == "healthy"
    assert count(Outage) == 0
    assert db.session.scalars(select(PrimaryFailure.kind)).all() == ["trunk"]  # that one only
    assert db.session.scalars(select(Call.error_code)).all().count("11200") == FAILURES * 2
    settle()
    [alert] = smtp.wait_for(1)  # two processes, ten requests, one rate window: one email
    assert alert["To"] == ADMIN_EMAIL
    assert "11200" in alert["Subject"]
    body = alert.get_content()
    assert VOICE_URL in body and "HTTP retrieval failure" in body
    assert "not evidence" in body


def test_a_second_error_code_gets_an_alert_of_its_own(
    detecting: Flask, twilio: TwilioHelper, smtp: SmtpSink
) -> None:
    for code in ("11205", "12100", "11205", "12100"):
        fallback(twilio, ErrorCode=code, ErrorUrl=VOICE_URL)

    assert check_primary() == "healthy"
    settle()
    subjects = sorted(message["Subject"] for message in smtp.wait_for(2))
    assert ["11205" in subjects[0], "12100" in subjects[1]] == [True, True]


def test_the_trunks_disaster_recovery_url_is_evidence_and_opens_an_outage(
    detecting: Flask, cli: Invoke, numbers: AddNumber, media: MediaServer, smtp: SmtpSink
) -> None:
    numbers(NUMBER, trunk_sid="TK" + "3" * 32)
    refused = cli("twilio", "configure", NUMBER)  # a trunk's number: it names the trunk's URL
    advised = refused.stderr.split("Disaster Recovery URL to ", 1)[1].split()[0]
    assert advised == f"{PUBLIC_URL}/ivr/fallback?source=trunk"
    twilio = TwilioHelper(detecting.test_client(), media)
    query = urlsplit(advised).query

    for _ in range(FAILURES - 1):
        fallback(twilio, query)
    assert check_primary() == "healthy"
    fallback(twilio, query)

    assert check_primary() == "opened"
    [outage] = db.session.scalars(select(Outage)).all()
    assert outage.covers_everyone
    assert set(db.session.scalars(select(PrimaryFailure.kind))) == {"trunk"}
    settle()
    assert smtp.messages == []  # the primary failed, not Backline: no alert about webhooks


@pytest.mark.parametrize(
    ("query", "fields", "subject"),
    [
        ("", {}, "no ErrorCode"),  # unmarked and unexplained: perhaps an old trunk setting
        ("", {"ErrorCode": "32011"}, "32011"),  # unmarked, and not Backline's own failure
        ("source=trunk", {"ErrorCode": "11205", "ErrorUrl": VOICE_URL}, "11205"),
        ("source=number", {}, "no ErrorCode"),  # a marker Backline does not know
    ],
)
def test_ambiguous_requests_never_open_an_outage_for_everyone(
    detecting: Flask,
    twilio: TwilioHelper,
    smtp: SmtpSink,
    query: str,
    fields: dict[str, str],
    subject: str,
) -> None:
    for _ in range(FAILURES * 2):
        fallback(twilio, query, **fields)

    assert check_primary() == "healthy"
    assert count(Outage) == 0
    settle()
    [alert] = smtp.wait_for(1)
    assert subject in alert["Subject"]
    assert "/ivr/fallback?source=trunk" in alert.get_content()
