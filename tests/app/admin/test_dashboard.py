"""The dashboard: primary status, live counters, notice progress, heartbeats and the SVG chart."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.admin.heartbeats import Heartbeat
from app.core.extensions import db
from app.models import (
    Call,
    Delivery,
    DeliveryState,
    JobState,
    MessageState,
    Notice,
    NoticeMessage,
    NoticeState,
    Voicemail,
    VoicemailStatus,
    utcnow,
)
from app.periodic_table import PERIODIC_JOBS
from tests.conftest import ACCOUNT_SID

SVG = "{http://www.w3.org/2000/svg}"


def figure(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', page)
    assert match, f"no figure {element_id}"
    return int(match.group(1))


def chart(page: str) -> ET.Element:
    match = re.search(r"<svg .*?</svg>", page, re.S)
    assert match, "no inline SVG chart"
    svg = match.group(0).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
    return ET.fromstring(svg)


def call(outcome: str, ago: timedelta, ended: bool = False, now: datetime | None = None) -> Call:
    created = (now or utcnow()) - ago
    row = Call(
        call_sid="CA" + secrets.token_hex(16),
        outcome=outcome,
        created_at=created,
        ended_at=created + timedelta(seconds=30) if ended else None,
    )
    db.session.add(row)
    return row


def voicemail(ago: timedelta, deliveries: tuple[DeliveryState, ...] = ()) -> Voicemail:
    row = Voicemail(
        recording_sid="RE" + secrets.token_hex(16),
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        status=VoicemailStatus.STORED,
        recorded_at=utcnow() - ago,
    )
    db.session.add(row)
    for state in deliveries:
        db.session.add(Delivery(voicemail=row, address="office@acme.example", state=state))
    return row


def test_counters_count_what_is_live(admin_client: FlaskClient) -> None:
    call("ivr", timedelta(minutes=2))
    call("voicemail", timedelta(minutes=1))
    call("backup", timedelta(seconds=5))
    call("ivr", timedelta(minutes=3), ended=True)  # hung up
    call("pass-through", timedelta(minutes=1))  # the primary has it
    call("ivr", timedelta(hours=2))  # its status callback was lost long ago
    accepted, bounced, failed = DeliveryState.ACCEPTED, DeliveryState.BOUNCED, DeliveryState.FAILED
    voicemail(timedelta(minutes=5), (accepted, accepted))
    voicemail(timedelta(hours=3), (bounced, failed, DeliveryState.PENDING))
    voicemail(timedelta(days=2), (DeliveryState.DELAYED,))  # still retried: counted however old
    db.session.commit()

    page = admin_client.get("/admin/")

    assert page.status_code == 200
    assert figure(page.text, "calls-in-ivr") == 3
    assert figure(page.text, "voicemails-24h") == 2
    assert figure(page.text, "emails-accepted") == 2
    assert figure(page.text, "emails-bounced") == 1
    assert figure(page.text, "emails-failed") == 1
    assert figure(page.text, "emails-delayed") == 1
    assert 'http-equiv="refresh"' in page.text


def test_the_chart_plots_calls_and_voicemails_per_minute(admin_client: FlaskClient) -> None:
    now = utcnow()
    for _ in range(4):
        call("ivr", timedelta(seconds=1), now=now)  # all in one minute
    call("ivr", timedelta(minutes=30))
    call("ivr", timedelta(hours=4))  # outside the three hours
    voicemail(timedelta(seconds=1))
    db.session.commit()

    svg = chart(admin_client.get("/admin/").text)

    assert "Calls (5) and voicemails (1)" in (svg.findtext(f"{SVG}title") or "")
    lines = {p.get("class"): p.get("points", "").split() for p in svg.iter(f"{SVG}polyline")}
    assert set(lines) == {"calls", "voicemails"}
    calls = [float(point.split(",")[1]) for point in lines["calls"]]
    assert len(calls) == len(lines["voicemails"]) == 180  # one point a minute
    baseline = max(calls)
    assert min(calls) < baseline
    assert (
        min(calls) in calls[-2:]
    )  # the busiest minute is the last (or, at a turn, the one before)
    assert sum(1 for y in calls if y < baseline) == 2
    assert len([t for t in svg.iter(f"{SVG}text") if re.fullmatch(r"\d\d:\d\d", t.text or "")]) >= 5


def test_primary_status_shows_outages_by_source_and_the_probe(
    app: Flask, admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    calm = admin_client.get("/admin/").text
    assert "Up, as far as Backline can tell" in calm
    assert "No probe configured" in calm

    subscriber()
    started = outage()
    app.config["PRIMARY_HEALTH_URL"] = "https://primary.example/health"
    db.session.add(JobState(name="detector", value='{"down_streak": 2, "healthy_streak": 0}'))
    db.session.commit()

    page = admin_client.get("/admin/").text

    assert status_card(page) == ("down", "Down: 1 active outage")  # it covers everyone
    assert "admin: 1" in page
    assert "https://primary.example/health" in page
    assert "down 2 time(s) in a row" in page
    assert f'href="/admin/outages/{started.id}"' in page


def status_card(page: str) -> tuple[str, str]:
    """The primary status card's level (down, partial, up) and its headline."""
    match = re.search(r'id="primary-status" data-level="(\w+)">\s*<p><strong>([^<]*)<', page)
    assert match, "no primary status card"
    return match.group(1), match.group(2)


def test_a_scoped_outage_is_a_partial_outage_naming_its_subscribers(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    for last, region, plan in (("0", "west", "pro"), ("1", "west", "basic"), ("2", "east", "pro")):
        subscriber(number=f"+141555501{last}0", region=region, plan=plan)
    subscriber(number="+14155550199", region="north", plan="basic")
    outage(regions=["west"])
    assert status_card(admin_client.get("/admin/").text) == (
        "partial",
        "Partial outage: 2 subscribers",
    )

    outage(plans=["pro"])  # overlaps the first on west-pro, counted once
    assert status_card(admin_client.get("/admin/").text) == (
        "partial",
        "Partial outage: 3 subscribers",
    )

    outage()  # everyone
    assert status_card(admin_client.get("/admin/").text) == ("down", "Down: 3 active outages")


def test_a_scoped_outage_of_one_subscriber_says_subscriber(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", region="west")
    subscriber(number="+14155550101", region="east")
    outage(numbers=["+14155550101"])
    page = admin_client.get("/admin/").text
    assert status_card(page) == ("partial", "Partial outage: 1 subscriber")
    assert "status-partial" in page and "status-down" not in page.split("</style>")[-1]


def test_notice_fan_out_shows_as_a_progress_bar(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", emails=["a@acme.example"])
    subscriber(number="+14155550101", emails=["b@acme.example"])
    started = outage()
    notice = db.session.query(Notice).filter_by(outage_id=started.id).one()
    first = db.session.query(NoticeMessage).filter_by(notice_id=notice.id).first()
    assert first is not None
    notice.state, first.state = NoticeState.SENDING, MessageState.PENDING  # one still to go
    db.session.commit()

    page = admin_client.get("/admin/").text

    bars = re.findall(r'<progress max="(\d+)" value="(\d+)"', page)
    assert bars == [("2", "1")]
    assert "1 / 2" in page


def test_heartbeats_list_every_periodic_job(app: Flask, admin_client: FlaskClient) -> None:
    app.extensions.setdefault("backline.heartbeats", {})["sweep-voicemails"] = utcnow().isoformat()

    page = admin_client.get("/admin/").text
    table = page[page.index('id="heartbeats"') :]

    for job in PERIODIC_JOBS:
        assert f"<td>{job.name}</td>" in table
    row = table[table.index("<td>sweep-voicemails</td>") :].split("</tr>")[0]
    assert "badge ok" in row and "never" not in row


@pytest.mark.parametrize(
    ("last_run", "stale"),
    [
        (None, True),
        (timedelta(seconds=30), False),
        (timedelta(seconds=179), False),
        (timedelta(seconds=181), True),
    ],
)
def test_a_heartbeat_is_stale_after_three_intervals(
    last_run: timedelta | None, stale: bool
) -> None:
    now = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    beat = Heartbeat("sweep", 60, now - last_run if last_run else None)
    assert beat.is_stale(now) is stale


def test_the_dashboard_needs_a_login(app: Flask) -> None:
    answer = app.test_client().get("/admin/")
    assert answer.status_code == 302
    assert "/admin/login" in answer.headers["Location"]
