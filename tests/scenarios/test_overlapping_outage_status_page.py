"""The status page of a subscriber two outages cover, once one of them is over.

The link is the one from the subscriber's notice. A resolved outage shows as resolved, but the
page never lets the subscriber read that their line is restored while another outage (announced
or not) still covers it.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.app.api.alertmanager_helpers import alert, deliver
from tests.conftest import PUBLIC_URL
from tests.scenarios.overlap_helpers import (
    EAST,
    EAST_EMAIL,
    WEST,
    WEST_EMAIL,
    by_address,
    plain,
    run,
    start,
)
from tests.support.smtp import SmtpSink

WEST_NEWS = "A fibre cut near Fresno; crews are on site."
NOTHING_NOW = "No problem affects your numbers right now."


def _status_link(smtp: SmtpSink, address: str) -> str:
    """The status page path from the last notice to `address`."""
    text = plain(by_address(smtp)[address][-1])
    found = re.search(re.escape(PUBLIC_URL) + r"(/status/[\w.-]+)", text)
    assert found, text
    return found.group(1)


def _sections(client: FlaskClient, path: str) -> tuple[str, str]:
    """The page's "Now" and "Last 90 days" sections, as text."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    now, _, recent = text.partition("Last 90 days")
    return now.partition("Now")[2], recent


def test_a_resolved_outage_does_not_read_as_restored_while_another_covers(
    cli: Any, client: FlaskClient, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    subscriber(EAST, [EAST_EMAIL], region="us-east")
    start(cli, "--region", "us-west", "--message", WEST_NEWS)
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    west_link, east_link = _status_link(smtp, WEST_EMAIL), _status_link(smtp, EAST_EMAIL)

    run(cli, "resolve", str(wide))

    now, recent = _sections(client, west_link)
    assert WEST_NEWS in now
    assert "Our platform is down everywhere." in recent
    assert "still affected by another problem" in recent
    now, recent = _sections(client, east_link)
    assert NOTHING_NOW in now
    assert "still affected" not in recent


def test_an_unconfirmed_alert_keeps_the_page_from_saying_nothing_is_wrong(
    cli: Any, api: Any, client: FlaskClient, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    deliver(api, alert(labels={"region": "us-west"}, annotations={"summary": "SIP west fails."}))
    wide = start(cli, "--all", "--message", "Our platform is down everywhere.")
    west_link = _status_link(smtp, WEST_EMAIL)

    run(cli, "resolve", str(wide))

    now, recent = _sections(client, west_link)
    assert NOTHING_NOW not in now
    assert "looking into a possible problem" in now
    assert "SIP west fails." not in now + recent  # an unconfirmed alert is never shown
    assert "still affected by another problem" in recent
