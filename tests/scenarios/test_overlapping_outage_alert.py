"""An Alertmanager outage nobody has confirmed yet, overlapping a person's outage for everyone.

Its subscribers were told nothing about the alert (it may be a false alarm), so the person's
outage ending cannot name it; but their callers may still reach the outage line, so nobody may
tell them service is back either. The alert's own end (or a confirmation) settles it: whichever
outage ends their time in outage says so, with every call of it counted once.
"""

from __future__ import annotations

from typing import Any

from tests.app.api.alertmanager_helpers import alert, deliver
from tests.app.api.conftest import Api
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

ALERT_SUMMARY = "SIP cluster west is failing."


def _alert_and_wide_outage(cli: Any, api: Api, subscriber: Any, smtp: SmtpSink) -> tuple[int, int]:
    """The alert (us-west, unconfirmed) and a person's outage for everyone, both active."""
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    subscriber(EAST, [EAST_EMAIL], region="us-east")
    west_alert = alert(labels={"region": "us-west"}, annotations={"summary": ALERT_SUMMARY})
    [opened] = deliver(api, west_alert)
    assert opened["outcome"] == "started"
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    assert settle(60)
    smtp.clear()
    return int(opened["outage_id"]), wide


def test_an_unconfirmed_alert_holds_back_the_resolution_then_carries_it(
    cli: Any, api: Api, subscriber: Any, smtp: SmtpSink, twilio: TwilioHelper
) -> None:
    alerted, wide = _alert_and_wide_outage(cli, api, subscriber, smtp)
    twilio.leave_voicemail(WEST, seconds=2, from_="+12125550144")  # callers hear B
    assert settle(60)
    smtp.clear()

    run(cli, "resolve", str(wide))

    mail = by_address(smtp)
    assert list(mail) == [EAST_EMAIL]  # nothing true can be said to us-west yet
    assert mail[EAST_EMAIL][0]["Subject"] == RESOLVED
    smtp.clear()

    run(cli, "resolve", str(alerted))  # a person ends the alert without confirming it

    [west] = by_address(smtp)[WEST_EMAIL]
    assert west["Subject"] == RESOLVED
    text = plain(west)
    assert ALERT_SUMMARY not in text  # never announced, so never named
    assert text.count("212-555-0144") == 1
    assert list(by_address(smtp)) == [WEST_EMAIL]


def test_a_confirmed_alert_is_announced_and_its_end_says_back(
    cli: Any, api: Api, subscriber: Any, smtp: SmtpSink
) -> None:
    alerted, wide = _alert_and_wide_outage(cli, api, subscriber, smtp)
    run(cli, "resolve", str(wide))
    assert WEST_EMAIL not in by_address(smtp)
    smtp.clear()

    run(cli, "confirm", str(alerted))
    [west] = by_address(smtp)[WEST_EMAIL]
    assert ALERT_SUMMARY in plain(west)
    assert not says_back(west)
    smtp.clear()

    run(cli, "resolve", str(alerted))
    [west] = by_address(smtp)[WEST_EMAIL]
    assert west["Subject"] == RESOLVED
    assert list(by_address(smtp)) == [WEST_EMAIL]
