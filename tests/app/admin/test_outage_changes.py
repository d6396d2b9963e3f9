"""Changing an outage from its page: update, resolve, report and confirm, each recorded with the
admin who did it; an ETR in the past, a report before the outage ends and a second resolve are
refused with nothing changed."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db
from app.models import OutageSource, OutageState
from app.outages.lifecycle import Scope, start_outage
from tests.app.admin.conftest import ACTOR, later, post


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
