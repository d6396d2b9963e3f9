"""The call row each webhook writes: one upsert per note, idempotent on CallSid."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select, text

from app.core.extensions import db
from app.models import Call
from ivr.call_rows import upsert_call
from ivr.calls import note_call
from tests.conftest import DATABASE_URL
from tests.twiml import parse, verbs

SID = "CA" + "1" * 32


def rows() -> list[Call]:
    db.session.rollback()
    return list(db.session.scalars(select(Call)))


def on_call_path(app: Any) -> Any:
    context = app.test_request_context("/ivr/voice", method="POST")
    context.push()
    g.call_path = True
    return context


def test_the_first_note_creates_the_row_and_later_ones_update_it(app: Any) -> None:
    context = on_call_path(app)
    try:
        note_call(SID, outcome="ivr", from_number="+12125550123", language="en")
        note_call(SID, dial_status="no-answer", sip_code=480)
    finally:
        context.pop()

    [call] = rows()
    assert (call.outcome, call.from_number, call.language) == ("ivr", "+12125550123", "en")
    assert (call.dial_status, call.sip_code) == ("no-answer", 480)
    assert call.menu_choices == [] and call.created_at is not None


def test_a_replayed_webhook_writes_no_second_row(app: Any) -> None:
    context = on_call_path(app)
    try:
        for _ in range(3):
            note_call(SID, outcome="ivr")
    finally:
        context.pop()

    assert db.session.scalar(select(func.count()).select_from(Call)) == 1


def test_a_note_with_no_fields_only_makes_sure_the_row_exists(app: Any) -> None:
    context = on_call_path(app)
    try:
        note_call(SID, outcome="voicemail")
        upsert_call(SID, {})
    finally:
        context.pop()

    [call] = rows()
    assert call.outcome == "voicemail"


def test_menu_choices_append_around_upserts(app: Any) -> None:
    context = on_call_path(app)
    try:
        note_call(SID, outcome="ivr")
        note_call(SID, menu_choice="3")
        note_call(SID, menu_choice="1", outcome="voicemail")
    finally:
        context.pop()

    [call] = rows()
    assert call.menu_choices == ["3", "1"]
    assert call.outcome == "voicemail"


def test_a_replayed_key_press_is_recorded_once(app: Any) -> None:
    context = on_call_path(app)
    try:
        note_call(SID, outcome="ivr")
        for _ in range(2):  # the pending store replays at least once: maybe twice
            note_call(SID, menu_choice="3", menu_visit=0)
        note_call(SID, menu_choice="9", menu_visit=1)
        for _ in range(2):
            note_call(SID, menu_choice="none")
    finally:
        context.pop()

    [call] = rows()
    assert call.menu_choices == ["3", "9", "none"]


def test_a_subscriber_deleted_since_the_snapshot_does_not_cost_the_call_its_row(
    app: Any, subscriber: Any
) -> None:
    gone = subscriber().id
    context = on_call_path(app)
    try:
        note_call(SID, outcome="ivr", subscriber_id=gone + 100, from_number="+12125550123")
    finally:
        context.pop()

    [call] = rows()
    assert call.subscriber_id is None
    assert (call.outcome, call.from_number) == ("ivr", "+12125550123")


@pytest.mark.skipif(
    not (DATABASE_URL or "").startswith("postgres"),
    reason="dropping a server-side connection needs PostgreSQL; set DATABASE_URL",
)
def test_a_connection_the_server_dropped_costs_no_call_row_and_trips_no_breaker(
    app: Any, twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    first, second = twilio.call_params("+14155550100"), twilio.call_params("+14155550100")
    assert twilio.post("/ivr/voice", first).status_code == 200  # the call path's pool has one
    db.session.remove()  # the request shared the test's app context: give its connection back
    with db.engine.connect() as connection:  # as a database restart would, to that connection
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'backline-calls' AND datname = current_database()"
            )
        ).scalar()
    assert dropped

    root = parse(twilio.post("/ivr/voice", second))

    assert verbs(root)[-2:] == ["Gather", "Redirect"]  # the outage menu, answered normally
    assert not app.extensions["backline.breaker"].is_open
    sids = {call.call_sid for call in rows()}
    assert sids == {first["CallSid"], second["CallSid"]}
