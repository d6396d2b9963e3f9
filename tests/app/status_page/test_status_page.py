"""The private status page: only the subscriber's outages, and nothing for a bad, expired or
revoked link; an expired one offers a fresh link by email, sent only to the subscriber."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import Outage, Subscriber, utcnow
from app.outages.lifecycle import Scope, publish_report, resolve_outage, start_outage, update_outage
from app.security import links
from app.security.links import STATUS_SALT, status_url, unsubscribe_url
from app.security.tokens import create_token
from tests.app.api.test_openapi import conforms
from tests.conftest import PUBLIC_URL
from tests.support.dead_ends import database_down
from tests.support.smtp import SmtpSink

INVALID = "This link is not valid"
SECRET_TEXT = "West coast calls go to voicemail."
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/"), url
    return url[len(PUBLIC_URL) :]


def link(*subscribers: Subscriber, issued: datetime | None = None) -> str:
    """The path of a status link for these subscribers, issued now or at `issued`."""
    with pytest.MonkeyPatch.context() as patch:
        if issued is not None:
            patch.setattr(links, "utcnow", lambda: issued)
        return path_of(status_url([s.id for s in subscribers]))


def resolved_days_ago(outage: Any, days: int) -> None:
    resolve_outage(db.session(), outage, actor="test")
    outage.resolved_at = utcnow() - timedelta(days=days)
    db.session.commit()


def assert_private(response: Any) -> None:
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers[name] == value, name
    assert "Traceback" not in response.text


@pytest.fixture
def west(subscriber: Any, outage: Any) -> Subscriber:
    """A subscriber in us-west with an outage of their own in progress."""
    row = subscriber(number="+14155550100", region="us-west", timezone="America/Los_Angeles")
    outage(subscriber_message=SECRET_TEXT, regions=["us-west"])
    return row


def test_the_page_shows_only_the_outages_that_affect_the_subscriber(
    client: FlaskClient, subscriber: Any, outage: Any, west: Subscriber
) -> None:
    subscriber(number="+14155550101", region="us-east")
    outage(subscriber_message="East coast trouble.", regions=["us-east"])
    resolved_days_ago(outage(subscriber_message="Last month's problem."), 30)
    resolved_days_ago(outage(subscriber_message="An old problem.", regions=["us-west"]), 100)
    theirs = db.session.scalars(select(Outage).where(Outage.subscriber_message == SECRET_TEXT))
    update_outage(
        db.session(), theirs.one(), actor="test", etr=datetime(2030, 1, 15, 20, tzinfo=UTC)
    )
    db.session.commit()

    page = client.get(link(west))

    assert page.status_code == 200
    assert_private(page)
    text = page.text
    assert SECRET_TEXT in text and "Last month&#39;s problem." in text
    assert "East coast" not in text and "An old problem" not in text
    assert text.index(SECRET_TEXT) < text.index("Last month")  # current before past
    assert "+1 415-555-0100" in text and "+1 415-555-0101" not in text
    assert "Tue 15 Jan 2030, 12:00 PST" in text  # the ETR in the subscriber's zone


def test_timeline_and_report_show_what_subscribers_were_told_and_nothing_internal(
    client: FlaskClient, subscriber: Any
) -> None:
    madrid = subscriber(region="eu", language="es", timezone="Europe/Madrid")
    session = db.session()
    row = start_outage(
        session,
        actor="noc-alice@provider.example",
        scope=Scope(regions=["eu"]),
        caller_message="Words only callers hear.",
        subscriber_message="Calls go to voicemail.",
        subscriber_messages={"es": "Las llamadas van al buzón de voz."},
        etr=datetime(2030, 1, 15, 12, 0, tzinfo=UTC),
    )
    session.commit()
    update_outage(session, row, actor="noc-alice@provider.example", state="identified")
    update_outage(session, row, actor="noc-bob", etr=datetime(2030, 1, 15, 14, 0, tzinfo=UTC))
    update_outage(session, row, actor="noc-bob", caller_message="More words for callers.")
    resolve_outage(session, row, actor="noc-bob")
    report = "Cause: a <b>bad</b> router.\n\nFix: we replaced it.\nWe are watching it."
    publish_report(session, row, actor="noc-bob", report=report)
    session.commit()

    text = client.get(link(madrid)).text

    assert "Las llamadas van al buzón de voz." in text
    assert "Calls go to voicemail." not in text
    for told in (
        "Status: Investigating.",
        "Status: Cause identified.",
        "Status: Resolved.",
        "Expected back by Tue 15 Jan 2030, 13:00 CET.",
        "Expected back by Tue 15 Jan 2030, 15:00 CET.",
        "Post-incident report published.",
    ):
        assert told in text, told
    for internal in ("noc-alice", "noc-bob", "callers", "us-west", "regions", "eu<"):
        assert internal not in text, internal
    paragraphs = re.findall(r'<p class="text">(.*?)</p>', text, re.S)
    assert "Cause: a &lt;b&gt;bad&lt;/b&gt; router." in paragraphs
    assert "Fix: we replaced it.\nWe are watching it." in paragraphs
    assert "<b>" not in text


def _revoke(subscriber: Subscriber) -> None:
    subscriber.status_links_revoked_at = utcnow()
    db.session.commit()


def _delete(subscriber: Subscriber) -> None:
    db.session.delete(subscriber)
    db.session.commit()


def _tamper(token_path: str) -> str:
    middle = len("/status/") + 10
    swapped = "A" if token_path[middle] != "A" else "B"
    return token_path[:middle] + swapped + token_path[middle + 1 :]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda s: "/status/not-a-token", id="wrong"),
        pytest.param(lambda s: _tamper(link(s)), id="tampered"),
        pytest.param(
            lambda s: (
                "/status/"
                + URLSafeSerializer("other", salt=STATUS_SALT).dumps({"ids": [s.id], "us": 1})
            ),
            id="other-key",
        ),
        pytest.param(
            lambda s: "/status/" + path_of(unsubscribe_url("email", "a@b.example")).split("/")[-1],
            id="unsubscribe-token",
        ),
        pytest.param(lambda s: (link(s), _delete(s))[0], id="deleted-subscriber"),
        pytest.param(lambda s: (link(s), _revoke(s))[0], id="revoked"),
        pytest.param(
            lambda s: (link(s, issued=utcnow() - timedelta(days=40)), _revoke(s))[0],
            id="expired-and-revoked",
        ),
    ],
)
def test_a_link_that_is_not_valid_shows_nothing(
    client: FlaskClient, west: Subscriber, smtp: SmtpSink, make: Any
) -> None:
    page = client.get(make(west))

    assert page.status_code == 404
    assert_private(page)
    assert INVALID in page.text
    assert SECRET_TEXT not in page.text and "555" not in page.text
    assert "renew" not in page.text and "<form" not in page.text


def test_an_expired_link_offers_a_fresh_one(client: FlaskClient, west: Subscriber) -> None:
    old = link(west, issued=utcnow() - timedelta(days=31))

    page = client.get(old)

    assert page.status_code == 410
    assert_private(page)
    assert "expired" in page.text
    assert f'action="{PUBLIC_URL}{old}/renew"' in page.text
    assert "Email me a fresh link" in page.text
    assert SECRET_TEXT not in page.text


def test_a_fresh_link_goes_only_to_the_subscribers_own_addresses_and_is_throttled(
    client: FlaskClient, subscriber: Any, smtp: SmtpSink
) -> None:
    owner = subscriber(number="+14155550100", emails=["office@acme.example", "Boss@Acme.example"])
    subscriber(number="+14155550199", emails=["someone-else@other.example"])
    old = link(owner, issued=utcnow() - timedelta(days=31))

    answer = client.post(f"{old}/renew", data={"email": "attacker@evil.example"})

    assert answer.status_code == 200
    assert "If this link is yours" in answer.text
    messages = smtp.wait_for(2)
    assert sorted(r for rs in smtp.recipients for r in rs) == [
        "Boss@Acme.example",
        "office@acme.example",
    ]
    for message in messages:
        assert message["Auto-Submitted"] == "auto-generated"
        assert "+1 415-555-0100" in message.get_content()
    fresh = re.search(rf"{re.escape(PUBLIC_URL)}/status/\S+", messages[0].get_content())
    assert fresh is not None
    assert client.get(path_of(fresh.group())).status_code == 200

    again = client.post(f"{old}/renew")

    assert again.status_code == 200 and again.text == answer.text
    assert jobs.wait_idle(10)
    assert len(smtp.messages) == 2


@pytest.mark.parametrize("revoked", [False, True], ids=["wrong-token", "revoked"])
def test_renewal_answers_the_same_and_sends_nothing_for_links_that_are_not_valid(
    client: FlaskClient, subscriber: Any, smtp: SmtpSink, revoked: bool
) -> None:
    owner = subscriber()
    target = link(owner, issued=utcnow() - timedelta(days=31)) if revoked else "/status/bogus"
    if revoked:
        _revoke(owner)

    answer = client.post(f"{target}/renew")

    assert answer.status_code == 200 and "If this link is yours" in answer.text
    assert jobs.wait_idle(10)
    assert smtp.messages == []


def test_revoking_through_the_api_stops_old_links_and_not_new_ones(
    app: Flask, client: FlaskClient, west: Subscriber
) -> None:
    _row, secret = create_token(db.session(), "noc")
    db.session.commit()
    old = link(west)
    auth = {"Authorization": f"Bearer {secret}"}

    answer = client.post(f"/api/v1/subscribers/{west.id}/status-links/revoke", headers=auth)

    assert answer.status_code == 200, answer.text
    assert answer.get_json()["subscriber_id"] == west.id
    conforms(client.get("/api/v1/openapi.json").get_json(), "StatusLinksRevoked", answer.get_json())
    assert client.get(old).status_code == 404
    assert client.get(link(west)).status_code == 200  # issued within the same second, after
    missing = client.post("/api/v1/subscribers/999/status-links/revoke", headers=auth)
    assert missing.status_code == 404 and missing.is_json
    assert client.post(f"/api/v1/subscribers/{west.id}/status-links/revoke").status_code == 401


def test_with_the_database_down_the_page_says_so_without_a_traceback(
    app: Flask, client: FlaskClient, west: Subscriber
) -> None:
    valid = link(west)
    with database_down(app):
        page = client.get(valid)
        renewal = client.post(f"{valid}/renew")

    for answer in (page, renewal):
        assert answer.status_code == 503
        assert_private(answer)
        assert "try again in a few minutes" in answer.text
        assert answer.headers["Retry-After"] == "60"
