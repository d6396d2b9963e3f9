"""Resolving from the outage page: near the top, and only after a question naming the scope,
as the start form asks; the form carries the count the admin was shown and the CSRF token."""

from __future__ import annotations

import html
from typing import Any

from flask.testing import FlaskClient

from app.core.extensions import db
from app.models import OutageSource, OutageState
from app.outages.lifecycle import Scope, start_outage
from tests.app.admin.test_outages import post


def text(page: Any) -> str:
    return html.unescape(page.text)


def test_resolve_sits_above_the_details_and_asks_naming_the_scope(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    for n in range(3):
        subscriber(number=f"+1415555010{n}", region="us-west")
    subscriber(number="+12125550100", region="us-east")
    row = outage(regions=["us-west"])
    path = f"/admin/outages/{row.id}"

    page = admin_client.get(path).text
    link = page.index(f'href="{path}/resolve"')
    assert link < page.index('class="cards"') < page.index("<h2>Notices</h2>")
    assert "<h2>Resolve</h2>" not in page  # no second form at the bottom

    question = text(admin_client.get(f"{path}/resolve"))
    assert "Resolve the outage for region us-west (3 subscribers)?" in question
    assert "Their callers will pass through to the primary again" in question
    assert "they will be told service is back" in question
    assert 'name="seen_count" value="3"' in question and 'name="csrf_token"' in question
    db.session.refresh(row)
    assert row.is_active  # asking changes nothing


def test_a_resolve_without_the_count_shown_asks_again(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", region="us-west", plan="pro")
    row = outage(regions=["us-west"], plans=["pro"])
    path = f"/admin/outages/{row.id}"

    for sent in ({}, {"seen_count": "7"}):  # a bare POST, or a count that is no longer true
        answer = post(admin_client, f"{path}/resolve", sent)
        assert answer.status_code == 200
        assert "Resolve the outage for region us-west and plan pro (1 subscriber)?" in text(answer)
        db.session.refresh(row)
        assert row.is_active and len(row.events) == 1

    done = post(admin_client, f"{path}/resolve", {"seen_count": "1"})
    assert done.status_code == 303
    db.session.refresh(row)
    assert row.state == OutageState.RESOLVED
    after = admin_client.get(f"{path}/resolve")  # nothing left to ask
    assert after.status_code == 303 and "already resolved" in admin_client.get(path).text


def test_an_unconfirmed_outage_for_everyone_says_nobody_is_told(
    admin_client: FlaskClient, subscriber: Any
) -> None:
    subscriber(number="+14155550100")
    subscriber(number="+14155550101")
    row = start_outage(db.session(), actor="detector", scope=Scope(), source=OutageSource.DETECTOR)
    db.session.commit()

    question = text(admin_client.get(f"/admin/outages/{row.id}/resolve"))

    assert "Resolve the outage for every subscriber (2 subscribers)?" in question
    assert "they were never told of this outage, so no notice goes out" in question


def test_the_confirmation_still_needs_the_csrf_token(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    row = outage()
    answer = admin_client.post(f"/admin/outages/{row.id}/resolve", data={"seen_count": "1"})
    assert answer.status_code == 400
    db.session.refresh(row)
    assert row.is_active
