"""Overlapping outages, resolved one after the other, through the CLI, signed webhooks and SMTP.

Outage A covers us-west, outage B everyone. Resolving B must not tell a us-west subscriber that
service is back while A still covers them (they hear which outage still does instead); resolving
A then does, and its summary counts every call of their whole time in outage once, whichever
outage each call was attributed to. Callers keep hearing A.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.models import Voicemail
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
    says_back,
    start,
)
from tests.support.smtp import SmtpSink
from tests.twiml import parse, said

WEST_NEWS = "A fibre cut near Fresno; crews are on site."
ETA = "2031-01-02T03:04Z"


def _cast(subscriber: Any) -> None:
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    subscriber(EAST, [EAST_EMAIL], region="us-east")


def test_resolving_the_wider_outage_says_back_only_where_no_other_outage_covers(
    cli: Any, subscriber: Any, smtp: SmtpSink
) -> None:
    _cast(subscriber)
    subscriber("+14155550103", ["desk@acme.example"], region="us-west")
    subscriber("+12125550104", ["desk@acme.example"], region="us-east")
    west = ("--region", "us-west", "--subscriber-message", WEST_NEWS, "--caller-message", "Down.")
    start(cli, *west, "--eta", ETA)
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    smtp.clear()

    run(cli, "resolve", str(wide))

    mail = by_address(smtp)
    assert sorted(mail) == ["desk@acme.example", EAST_EMAIL, WEST_EMAIL]
    [east] = mail[EAST_EMAIL]
    assert east["Subject"] == RESOLVED
    assert "Your phone service is working again." in plain(east)
    [west] = mail[WEST_EMAIL]
    assert not says_back(west), plain(west)
    assert WEST_NEWS in plain(west)  # which outage still holds, with its message and ETR
    assert "Thu 02 Jan 2031, 03:04 UTC" in plain(west)
    assert "415-555-0101" in plain(west)
    [desk] = mail["desk@acme.example"]  # one address, a number on each side
    assert desk["Subject"] != RESOLVED
    text = plain(desk)
    assert "Service is working again for +1 212-555-0104." in text
    assert "Still affected: +1 415-555-0103" in text
    assert WEST_NEWS in text


def test_the_last_resolution_counts_every_call_of_the_time_in_outage_once(
    cli: Any, subscriber: Any, smtp: SmtpSink, twilio: TwilioHelper
) -> None:
    _cast(subscriber)
    west_only = start(cli, "--region", "us-west", "--message", WEST_NEWS)
    twilio.leave_voicemail(WEST, seconds=2, from_="+12125550111")  # under A alone
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    twilio.leave_voicemail(WEST, seconds=2, from_="+12125550122")  # under both: callers hear B
    hung_up = twilio.call_params(WEST, from_="+12125550133")
    assert twilio.post("/ivr/voice", hung_up).status_code == 200
    assert settle(60)
    attributed = db.session.execute(select(Voicemail.caller_number, Voicemail.outage_id)).all()
    assert sorted(attributed) == [("+12125550111", west_only), ("+12125550122", wide)]
    smtp.clear()

    run(cli, "resolve", str(wide))
    [west] = by_address(smtp)[WEST_EMAIL]
    assert not says_back(west)
    assert "212-555-01" not in plain(west)  # no summary yet: the time in outage goes on
    smtp.clear()

    run(cli, "resolve", str(west_only))
    [west] = by_address(smtp)[WEST_EMAIL]
    assert west["Subject"] == RESOLVED
    text = plain(west)
    assert "Voicemails left for you (2;" in text
    assert text.count("212-555-0111") == 1
    assert text.count("212-555-0122") == 1
    assert "left no message (1)" in text
    assert text.count("212-555-0133") == 1
    assert list(by_address(smtp)) == [WEST_EMAIL]  # us-east was told once, when B ended


def test_callers_keep_hearing_the_outage_that_still_holds(
    cli: Any, subscriber: Any, twilio: TwilioHelper
) -> None:
    _cast(subscriber)
    west = ("--region", "us-west", "--subscriber-message", WEST_NEWS)
    start(cli, *west, "--caller-message", "West lines are down.")
    wide = start(cli, "--all", "--message", "All lines are down.")

    def heard(number: str) -> list[str]:
        return said(parse(twilio.post("/ivr/voice", twilio.call_params(number))))

    assert "All lines are down." in heard(WEST)  # the most recently updated outage
    run(cli, "resolve", str(wide))

    assert "West lines are down." in heard(WEST)
    assert "All lines are down." not in heard(WEST)
    assert not any("lines are down" in line for line in heard(EAST))


def test_the_report_of_the_wider_outage_never_says_back_to_those_still_covered(
    cli: Any, subscriber: Any, smtp: SmtpSink, tmp_path: Path
) -> None:
    _cast(subscriber)
    start(cli, "--region", "us-west", "--message", WEST_NEWS)
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    run(cli, "resolve", str(wide))
    smtp.clear()
    report = tmp_path / "report.md"
    report.write_text("A switch failed at the data centre.\n\nWe replaced it.\n")

    run(cli, "report", str(wide), "--file", str(report))

    mail = by_address(smtp)
    assert sorted(mail) == [EAST_EMAIL, WEST_EMAIL]  # both were told of B
    [west] = mail[WEST_EMAIL]
    assert "We replaced it." in plain(west)
    assert not says_back(west)
    assert "Still affected: +1 415-555-0101" in plain(west)
    assert WEST_NEWS in plain(west)
    [east] = mail[EAST_EMAIL]
    assert "Still affected" not in plain(east)
