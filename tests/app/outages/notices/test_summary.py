"""On resolve each address gets a summary of its numbers' calls; a report follows on request."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.core.extensions import db
from app.outages.lifecycle import OutageError, publish_report, resolve_outage
from tests.conftest import TwilioHelper, settle
from tests.support.smtp import SmtpSink


def _plain(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_the_resolve_summary_lists_voicemails_and_callers_who_left_none(
    app: Flask, subscriber: Any, outage: Any, twilio: TwilioHelper, smtp: SmtpSink
) -> None:
    subscriber("+14155550701", ["desk@acme.example"], timezone="America/Los_Angeles")
    subscriber("+14155550702", ["desk@acme.example"])
    subscriber("+14155550703", ["someone@else.example"])
    current = outage()
    twilio.leave_voicemail("+14155550701", seconds=3, from_="+12125550111")
    hung_up = twilio.call_params("+14155550702", from_="+12125550122")
    assert twilio.post("/ivr/voice", hung_up).status_code == 200
    assert settle(60)
    smtp.clear()

    resolve_outage(db.session(), current, actor="cli:noc")
    db.session.commit()
    assert settle(60)

    by_address = {str(m["To"]): m for m in smtp.messages}
    assert sorted(by_address) == ["desk@acme.example", "someone@else.example"]
    desk = _plain(by_address["desk@acme.example"])
    assert "Voicemails left for you (1" in desk
    assert "212-555-0111" in desk
    assert "left no message (1)" in desk
    assert "212-555-0122" in desk
    assert "PST" in desk or "PDT" in desk  # the first number's timezone
    other = _plain(by_address["someone@else.example"])
    assert "Nobody left you a voicemail" in other
    assert "212-555" not in other


def test_a_report_goes_to_the_same_subscribers_once(
    app: Flask, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550711", ["a@example.com"], region="north")
    subscriber("+14155550712", ["b@example.com"], region="south")
    current = outage(regions=["north"])
    with pytest.raises(OutageError, match="still active"):
        publish_report(db.session(), current, actor="cli:noc", report="Too early.")
    resolve_outage(db.session(), current, actor="cli:noc")
    db.session.commit()
    assert settle()
    smtp.clear()

    report = "A fibre cut at the data centre.\n\nWe are adding a second path."
    assert publish_report(db.session(), current, actor="cli:noc", report=report) is True
    db.session.commit()
    assert publish_report(db.session(), current, actor="cli:noc", report=report + "\n") is False
    with pytest.raises(OutageError, match="empty"):
        publish_report(db.session(), current, actor="cli:noc", report="  \n")
    db.session.commit()
    assert settle()

    [email] = smtp.messages
    assert str(email["To"]) == "a@example.com"
    assert "We are adding a second path." in _plain(email)
    assert current.report == report
