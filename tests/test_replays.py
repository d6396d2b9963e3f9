"""Replays: Twilio retries webhooks, and a signature carries no timestamp, so anyone holding one
signed request can send it again. Each replay changes nothing more than the first request did.

(The same recording callback posted twice, and concurrent repeats with one idempotency token,
are in tests/voicemail/test_pipeline.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.core.extensions import db, jobs
from app.models import Call, Delivery, Outage, PrimaryFailure, Voicemail
from app.outages.detector import check_primary
from tests.conftest import SmtpSink
from tests.support.twilio import TwilioHelper
from tests.twiml import parse

NUMBER = "+14155550100"
REPLAYS = 3


def count(model: type[Any]) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/ivr/voice", {}),
        ("/ivr/fallback", {"ErrorCode": "11200"}),
        ("/ivr/dial-result", {"DialCallStatus": "failed", "DialSipResponseCode": "503"}),
        ("/ivr/record", {}),
        ("/ivr/after-record", {}),
        ("/ivr/call-status", {"CallStatus": "completed", "CallDuration": "31"}),
    ],
)
def test_a_replayed_call_webhook_keeps_one_call_row(
    twilio: TwilioHelper, subscriber: Any, outage: Any, path: str, extra: dict[str, str]
) -> None:
    subscriber(number=NUMBER)
    outage()
    call = {**twilio.call_params(NUMBER), **extra}
    answers = [twilio.post(path, call) for _ in range(REPLAYS)]

    assert {answer.status_code for answer in answers} == {answers[0].status_code}
    assert answers[0].status_code in (200, 204)
    assert len({answer.data for answer in answers}) == 1  # the same TwiML every time
    assert count(Call) == 1
    row = db.session.scalar(select(Call))
    assert row is not None and row.call_sid == call["CallSid"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/ivr/fallback?source=trunk", {}),
        ("/ivr/dial-result", {"DialCallStatus": "failed", "DialSipResponseCode": "503"}),
    ],
)
def test_a_replayed_failed_call_counts_once_as_evidence_the_primary_is_down(
    app: Flask, twilio: TwilioHelper, path: str, extra: dict[str, str]
) -> None:
    app.config.update(BACKLINE_DETECTOR_FAILURES=3, PRIMARY_HEALTH_URL=None)
    call = {**twilio.call_params(NUMBER), **extra}
    for _ in range(5):
        assert twilio.post(path, call).status_code == 200

    assert check_primary() == "healthy"
    assert count(Outage) == 0

    for _ in range(2):  # two more calls that failed: three in all
        assert twilio.post(path, {**twilio.call_params(NUMBER), **extra}).status_code == 200
    assert check_primary() == "opened"
    assert count(PrimaryFailure) == 7  # every request is kept; calls are what count


@pytest.mark.parametrize(
    "tokens",
    [
        ("RC-token-1", "RC-token-1"),  # Twilio's own retry
        ("RC-token-1", None),  # a captured request replayed without the header
        ("RC-token-1", "RC-token-2"),  # ... or with a header of its own
        (None, "x" * 500),  # ... or one longer than any Twilio sends
    ],
)
def test_a_recording_callback_replayed_after_its_email_sends_nothing_more(
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    tokens: tuple[str | None, str | None],
) -> None:
    subscriber(number=NUMBER)
    outage()
    call = twilio.call_params(NUMBER)
    parse(twilio.post("/ivr/voice", call))
    params = twilio.recording_params(call, twilio.add_recording(2), 2)

    for token in tokens:
        headers = {"I-Twilio-Idempotency-Token": token} if token else {}
        response = twilio.post("/voicemail/recording-status", params, headers=headers)
        assert response.status_code == 204, response.text
        smtp.wait_for(1)
        assert jobs.wait_idle(10)

    assert len(smtp.messages) == 1
    assert (count(Voicemail), count(Delivery)) == (1, 1)
