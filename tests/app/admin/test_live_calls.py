"""The dashboard's "calls in the outage line now": a call leaves it when Twilio says it ended
(its final `CallStatus`), and one whose status callback never came leaves it once it is older
than the longest call the IVR allows."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db
from app.models import Call, utcnow
from ivr.call_end import CALL_ENDED, longest_call
from tests.conftest import TwilioHelper


def calls_in_line(client: FlaskClient) -> int:
    match = re.search(r'id="calls-in-ivr">(\d+)<', client.get("/admin/").text)
    assert match, "no calls-in-ivr figure on the dashboard"
    return int(match.group(1))


def unended_call(ago: timedelta, status: str | None = None, outcome: str = "ivr") -> Call:
    row = Call(
        call_sid="CA" + secrets.token_hex(16),
        outcome=outcome,
        status=status,
        created_at=utcnow() - ago,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("status", sorted(CALL_ENDED))
def test_a_final_call_status_ends_the_call_even_without_an_end_time(
    admin_client: FlaskClient, status: str
) -> None:
    unended_call(timedelta(minutes=1), status="in-progress")
    unended_call(timedelta(minutes=1), status=status)
    assert calls_in_line(admin_client) == 1


def test_a_call_with_no_final_status_ages_out_after_the_longest_call(
    admin_client: FlaskClient, app: Flask
) -> None:
    longest = longest_call(app.config)
    unended_call(longest - timedelta(minutes=1), status="in-progress")
    unended_call(longest - timedelta(minutes=1), outcome="fallback")  # the trunk's path
    unended_call(longest + timedelta(minutes=1), status="in-progress")  # its callback was lost
    assert calls_in_line(admin_client) == 2


def test_calls_leave_the_line_as_twilios_callbacks_come(
    admin_client: FlaskClient, twilio: TwilioHelper, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    calls = [twilio.call_params("+14155550100") for _ in range(3)]
    for params in calls:
        assert twilio.post("/ivr/voice", {**params, "CallStatus": "in-progress"}).status_code == 200
    assert calls_in_line(admin_client) == 3

    ended = {**calls[0], "CallStatus": "completed", "CallDuration": "40"}
    assert twilio.post("/ivr/call-status", ended).status_code == 204
    assert calls_in_line(admin_client) == 2

    hung_up = {**calls[1], "CallStatus": "completed", "Digits": "hangup"}  # during the recording
    assert twilio.post("/ivr/after-record", hung_up).status_code == 200
    assert calls_in_line(admin_client) == 1

    still_there = {**calls[2], "CallStatus": "in-progress", "Digits": "#"}
    assert twilio.post("/ivr/after-record", still_there).status_code == 200
    assert calls_in_line(admin_client) == 1
