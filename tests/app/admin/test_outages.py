"""The outage pages: start with a confirmed count, update, resolve, confirm, report, and refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.core.extensions import db, jobs
from app.models import AdminUser, Outage, OutageSource, OutageState
from app.outages.lifecycle import Scope, start_outage
from tests.app.admin.conftest import ADMIN_LOGIN, browser, csrf

ACTOR = f"admin:{ADMIN_LOGIN}"
SEEN = 'name="seen_count" type="hidden" value="'


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> TestResponse:
    """POST as the page's form would, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client, "/admin/outages/new"), **data})


def outage_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Outage)) or 0)


def seen_count(page: TestResponse) -> str:
    """The affected count the start form carries as confirmed (empty when none was shown)."""
    start = page.text.index(SEEN) + len(SEEN)
    return page.text[start : page.text.index('"', start)]


def checked(page: TestResponse) -> set[str]:
    """The values of the checkboxes the page shows ticked."""
    return set(re.findall(r'<input checked[^>]*type="checkbox" value="([^"]*)"', page.text))


def later(hours: int = 2) -> str:
    """A time ahead, typed as the ETR box shows it: UTC on a 24-hour clock."""
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def four(subscriber: Any) -> None:
    """Two regions by two plans, one subscriber each."""
    for last, region, plan in (
        ("01", "west", "pro"),
        ("02", "west", "basic"),
        ("03", "east", "pro"),
        ("04", "east", "basic"),
    ):
        emails = [f"office{last}@acme.example"]
        subscriber(number=f"+141555501{last}", emails=emails, region=region, plan=plan)


SCOPED = {
    "caller_message": "Our phones are down in the west.",
    "regions": ["west", "east"],
    "plans": ["pro"],
    "numbers": "+1 415 555 0101\n\n(415) 555-0103 ",
}


def test_a_scoped_outage_shows_its_count_before_it_starts(
    admin_client: FlaskClient, four: None
) -> None:
    form = admin_client.get("/admin/outages/new")
    assert form.status_code == 200
    assert 'value="west"' in form.text and 'value="basic"' in form.text
    assert "Choose whom this outage affects" in form.text and "will affect <strong" not in form.text
    assert "UTC" in form.text and seen_count(form) == ""  # nothing chosen, nothing to confirm

    numbers = "+1 415 555 0101\n\n+14155550103 "
    data = {**SCOPED, "numbers": numbers, "etr": later(), "seen_count": "4", "action": "start"}
    preview = post(admin_client, "/admin/outages/new", data)  # the scope changed since "4"
    assert preview.status_code == 200
    assert "2 subscribers" in preview.text and "press Start outage to confirm" in preview.text
    assert seen_count(preview) == "2" and outage_count() == 0
    assert "+1 415 555 0101" in preview.text and checked(preview) == {"west", "east", "pro"}

    started = post(admin_client, "/admin/outages/new", {**data, "seen_count": "2"})
    assert started.status_code == 303, started.text
    outage = db.session.scalars(select(Outage)).one()
    assert started.headers["Location"] == f"/admin/outages/{outage.id}"
    assert outage.scope_numbers == ["+14155550101", "+14155550103"]
    assert (outage.scope_regions, outage.scope_plans) == (["east", "west"], ["pro"])
    assert outage.subscriber_message == outage.caller_message == SCOPED["caller_message"]
    assert outage.etr is not None and outage.source == OutageSource.ADMIN

    jobs.wait_idle(30)  # the fan-out has run: both emails went out
    page = admin_client.get(started.headers["Location"])
    assert f"Outage {outage.id} started; 2 subscribers affected; notices are going out" in page.text
    assert "2 subscribers" in page.text and ACTOR in page.text
    assert 'value="2" max="2"' in page.text and "Email: 2 of 2 sent" in page.text
    listing = admin_client.get("/admin/outages")
    assert f'href="/admin/outages/{outage.id}"' in listing.text and "1 number" not in listing.text
    assert "regions east, west · plans pro · 2 numbers" in listing.text


def test_preview_never_starts_and_every_subscriber_is_a_box_to_tick(
    admin_client: FlaskClient, four: None
) -> None:
    preview = post(admin_client, "/admin/outages/new", {"plans": ["basic"], "action": "preview"})
    assert preview.status_code == 200 and "2 subscribers" in preview.text
    assert outage_count() == 0
    unscoped = post(admin_client, "/admin/outages/new", {"action": "start", "seen_count": "4"})
    assert unscoped.status_code == 400 and outage_count() == 0
    assert "Choose regions, plans or numbers, or tick Every subscriber." in unscoped.text
    everyone = {"everyone": "y", "action": "start"}
    shown = post(admin_client, "/admin/outages/new", everyone)  # its count not yet seen
    assert shown.status_code == 200 and "4 subscribers" in shown.text and outage_count() == 0
    started = post(admin_client, "/admin/outages/new", {**everyone, "seen_count": "4"})
    assert started.status_code == 303
    outage = db.session.scalars(select(Outage)).one()
    assert outage.covers_everyone and outage.caller_message is None


def test_every_subscriber_with_a_scope_is_refused(admin_client: FlaskClient, four: None) -> None:
    data = {"everyone": "y", "regions": ["west"], "action": "start", "seen_count": "2"}
    answer = post(admin_client, "/admin/outages/new", data)
    assert answer.status_code == 400 and outage_count() == 0
    assert "Every subscriber reaches everyone: untick it" in answer.text


def test_a_scope_matching_nobody_is_refused_unless_its_box_is_ticked(
    admin_client: FlaskClient, four: None
) -> None:
    data = {"numbers": "+33 1 42 68 53 00", "action": "start", "seen_count": "0"}
    refused = post(admin_client, "/admin/outages/new", data)
    assert refused.status_code == 400 and outage_count() == 0
    assert "No subscriber matches number +33142685300." in refused.text
    assert "Regions that exist: east, west. Plans that exist: basic, pro." in refused.text
    assert seen_count(refused) == "0"

    started = post(admin_client, "/admin/outages/new", {**data, "force": "y"})
    assert started.status_code == 303, started.text
    outage = db.session.scalars(select(Outage)).one()
    assert outage.scope_numbers == ["+33142685300"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?all=1", 4),
        ("?region=west", 2),
        ("?region=west&region=east&plan=pro", 2),
        ("?plan=pro&number=%2B14155550101&number=%2B14155550102", 1),
        ("?region=nowhere", 0),
    ],
)
def test_the_count_endpoint(
    admin_client: FlaskClient, four: None, query: str, expected: int
) -> None:
    answer = admin_client.get(f"/admin/outages/affected-count{query}")
    assert answer.status_code == 200 and answer.json == {"count": expected}


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "Choose regions, plans or numbers, or tick Every subscriber."),
        ("?all=1&plan=pro", "Every subscriber reaches everyone"),
    ],
)
def test_the_count_endpoint_wants_a_scope_or_everyone(
    admin_client: FlaskClient, four: None, query: str, error: str
) -> None:
    answer = admin_client.get(f"/admin/outages/affected-count{query}")
    assert answer.status_code == 400 and answer.json and answer.json["error"].startswith(error)


def test_the_count_endpoint_names_a_bad_number(admin_client: FlaskClient) -> None:
    answer = admin_client.get("/admin/outages/affected-count?number=%2B14155550101&number=12")
    assert answer.status_code == 400
    assert answer.json and answer.json["error"].startswith("Number 2: '12' is not")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"etr": "tomorrow at six"}, "is not a date and time"),
        ({"etr": "2001-01-01T10:00"}, "That time has passed"),
        ({"numbers": "+14155550101\n12345"}, "Line 2: &#39;12345&#39; is not"),
        ({"regions": ["atlantis"]}, "not a valid choice"),
        ({"caller_message": "x" * 2001}, "2000 characters"),
        ({"subscriber_message": "null\x00byte"}, "NUL character"),
    ],
)
def test_bad_input_is_refused_and_starts_nothing(
    admin_client: FlaskClient, four: None, fields: dict[str, Any], message: str
) -> None:
    data = {"caller_message": "Down", "seen_count": "4", "action": "start", **fields}
    answer = post(admin_client, "/admin/outages/new", data)
    assert answer.status_code == 400
    assert message in answer.text and "nothing was changed" in answer.text
    assert seen_count(answer) == "" and outage_count() == 0


def test_update_messages_etr_and_state(admin_client: FlaskClient, outage: Any) -> None:
    row = outage(caller_message="Old words.")
    path = f"/admin/outages/{row.id}"
    etr = later(3)
    changes = {
        "caller_message": "New words.",
        "subscriber_message": "We are on it.",
        "etr": etr,
        "state": "identified",
    }
    answer = post(admin_client, f"{path}/update", changes)
    assert answer.status_code == 303
    db.session.refresh(row)
    assert (row.caller_message, row.subscriber_message) == ("New words.", "We are on it.")
    assert row.state == OutageState.IDENTIFIED and row.etr is not None
    assert row.etr.strftime("%Y-%m-%d %H:%M") == etr
    update = row.events[-1]
    assert (update.actor, update.action) == (ACTOR, "update")
    assert set(update.changes) == {"caller_message", "subscriber_message", "etr", "state"}

    again = post(admin_client, f"{path}/update", changes)  # the same values change nothing
    assert again.status_code == 303 and len(row.events) == 2
    assert "Nothing changed" in admin_client.get(path).text
    page = admin_client.get(path)
    assert "New words." in page.text and f'value="{etr}"' in page.text


def test_an_update_with_a_past_etr_changes_nothing(admin_client: FlaskClient, outage: Any) -> None:
    row = outage()
    data = {"caller_message": "Changed", "etr": "2001-01-01T10:00", "state": "monitoring"}
    answer = post(admin_client, f"/admin/outages/{row.id}/update", data)
    assert answer.status_code == 400 and "That time has passed" in answer.text
    db.session.refresh(row)
    assert row.state == OutageState.INVESTIGATING and len(row.events) == 1


def test_resolve_then_report(admin_client: FlaskClient, outage: Any) -> None:
    row = outage()
    path = f"/admin/outages/{row.id}"
    early = post(admin_client, f"{path}/report", {"report": "Too soon."})
    assert early.status_code == 409 and "still active" in early.text
    assert "Resolve outage" in admin_client.get(path).text

    assert post(admin_client, f"{path}/resolve", {"seen_count": "0"}).status_code == 303
    db.session.refresh(row)
    assert row.state == OutageState.RESOLVED and row.events[-1].actor == ACTOR
    twice = post(admin_client, f"{path}/resolve", {"seen_count": "0"})
    assert twice.status_code == 409 and "already resolved" in twice.text

    page = admin_client.get(path)
    assert "Publish report" in page.text and "Resolve outage" not in page.text
    empty = post(admin_client, f"{path}/report", {"report": "   "})
    assert empty.status_code == 400 and "Write the report first" in empty.text
    published = post(admin_client, f"{path}/report", {"report": "A switch failed.\n"})
    assert published.status_code == 303
    db.session.refresh(row)
    assert row.report == "A switch failed." and row.events[-1].action == "report"
    assert "Publish correction" in admin_client.get(path).text


def test_confirm_an_automatic_outage(admin_client: FlaskClient, app: Flask) -> None:
    row = start_outage(db.session(), actor="detector", scope=Scope(), source=OutageSource.DETECTOR)
    db.session.commit()
    path = f"/admin/outages/{row.id}"
    assert "Confirm outage" in admin_client.get(path).text
    assert post(admin_client, f"{path}/confirm", {}).status_code == 303
    db.session.refresh(row)
    assert row.confirmed_at is not None and row.confirmed_by == ACTOR
    page = admin_client.get(path)
    assert "confirmed; notices are going out" in page.text and "Confirm outage" not in page.text


def test_forms_without_the_csrf_token_are_refused(admin_client: FlaskClient, outage: Any) -> None:
    row = outage()
    data = {"action": "start", "seen_count": "0"}
    assert admin_client.post("/admin/outages/new", data=data).status_code == 400
    assert admin_client.post(f"/admin/outages/{row.id}/resolve").status_code == 400
    db.session.refresh(row)
    assert outage_count() == 1 and row.is_active


@pytest.mark.parametrize(
    "path",
    ["/admin/outages", "/admin/outages/new", "/admin/outages/1", "/admin/outages/affected-count"],
)
def test_pages_need_a_login(app: Flask, admin_account: AdminUser, path: str) -> None:
    answer = browser(app).get(path)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")


@pytest.mark.parametrize("path", ["/admin/outages/999", "/admin/outages/99999999999999999999999"])
def test_unknown_outages_are_404(admin_client: FlaskClient, path: str) -> None:
    assert admin_client.get(path).status_code == 404
    assert post(admin_client, f"{path}/resolve", {}).status_code == 404


def test_the_list_pages_resolved_outages(admin_client: FlaskClient, outage: Any) -> None:
    active = outage()
    assert "No resolved outages" in admin_client.get("/admin/outages?page=x").text
    assert f'href="/admin/outages/{active.id}"' in admin_client.get("/admin/outages").text
    assert "No resolved outages on this page" in admin_client.get("/admin/outages?page=9").text
