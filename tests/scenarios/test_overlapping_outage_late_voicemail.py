"""A voicemail for a call Backline never saw, whose recording callback arrives after the outage
the caller heard has ended while another still covers the subscriber.

It belongs to the outage heard at the time of the call (found through Twilio's Calls API and the
call's `start_time`), not to whichever outage is active when it is processed, nor to none; and the
summary that ends the subscriber's time in outage lists it once.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.models import Voicemail, utcnow
from tests.conftest import TwilioHelper, settle
from tests.scenarios.overlap_helpers import (
    EAST,
    EAST_EMAIL,
    RESOLVED,
    WEST,
    WEST_EMAIL,
    by_address,
    plain,
    run,
    start,
)
from tests.support.smtp import SmtpSink


def _unseen_call(twilio: TwilioHelper, to: str, caller: str) -> dict[str, str]:
    """A call that reached Twilio but never Backline's /ivr/voice (a missed webhook)."""
    call = twilio.call_params(to, from_=caller)
    twilio.media.state.calls[call["CallSid"]] = {
        "to": to,
        "from": caller,
        "start_time": format_datetime(utcnow()),  # RFC 2822, as Twilio's Calls API writes it
    }
    return call


def _recording_arrives(twilio: TwilioHelper, call: dict[str, str]) -> None:
    recording = twilio.add_recording(2)
    callback = twilio.recording_params(call, recording, 2)
    assert twilio.post("/voicemail/recording-status", callback).status_code == 204


def test_a_late_voicemail_belongs_to_the_outage_its_caller_heard(
    cli: Any, subscriber: Any, smtp: SmtpSink, twilio: TwilioHelper
) -> None:
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    subscriber(EAST, [EAST_EMAIL], region="us-east")
    west_only = start(cli, "--region", "us-west", "--message", "West is down.")
    wide = start(cli, "--all", "--message", "Everything is down.")
    to_west = _unseen_call(twilio, WEST, "+12125550155")
    to_east = _unseen_call(twilio, EAST, "+12125550166")
    run(cli, "resolve", str(wide))

    _recording_arrives(twilio, to_west)
    _recording_arrives(twilio, to_east)
    assert settle(60)

    rows = db.session.execute(select(Voicemail.caller_number, Voicemail.outage_id)).all()
    assert sorted(rows) == [("+12125550155", wide), ("+12125550166", wide)]
    smtp.clear()
    run(cli, "resolve", str(west_only))
    [west] = by_address(smtp)[WEST_EMAIL]
    assert west["Subject"] == RESOLVED
    assert plain(west).count("212-555-0155") == 1
