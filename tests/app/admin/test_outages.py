"""The outage pages: start with a confirmed count, the count endpoint, refusals and listing.

Updating, resolving, reporting and confirming are in test_outage_changes.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.core.extensions import db, jobs
from app.models import AdminUser, Outage, OutageSource
from tests.app.admin.conftest import ACTOR, browser, later, post

SEEN = 'name="seen_count" type="hidden" value="'


def outage_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Outage)) or 0)


def seen_count(page: TestResponse) -> str:
    """The affected count the start form carries as confirmed (empty when none was shown)."""
    start = page.text.index(SEEN) + len(SEEN)
    return page.text[start : page.text.index('"', start)]


def checked(page: TestResponse) -> set[str]:
    """The values of the checkboxes the page shows ticked."""
    return set(re.findall(r'<input checked[^>]*type="checkbox" value="([^"]*)"', page.text))


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
