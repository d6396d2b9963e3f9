"""POST /api/v1/alerts/alertmanager: repeated and concurrent deliveries, and resolved alerts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from app.core.extensions import db
from app.models import AlertRecord, Outage, OutageEvent, OutageState
from tests.app.api.alertmanager_helpers import PATH, alert, count, deliver, only_outage, payload
from tests.app.api.conftest import PREFIX, Api


def test_a_repeated_delivery_starts_nothing_twice(api: Api, subscribers: None) -> None:
    [first] = deliver(api, alert())
    [again] = deliver(api, alert())
    [nanos] = deliver(api, alert(starts_at="2026-11-22T10:00:00.123456999Z"))  # same microsecond

    assert first["outcome"] == "started"
    assert again["outcome"] == nanos["outcome"] == "already-seen"
    assert again["outage_id"] == nanos["outage_id"] == first["outage_id"]
    assert (count(Outage), count(OutageEvent), count(AlertRecord)) == (1, 1, 1)


def test_the_same_fingerprint_firing_again_later_is_a_new_alert(
    api: Api, subscribers: None
) -> None:
    [first] = deliver(api, alert())
    [later] = deliver(api, alert(starts_at="2026-11-22T14:00:00+02:00"))

    assert first["outcome"] == later["outcome"] == "started"
    assert count(Outage) == 2


def test_a_concurrent_duplicate_delivery_is_already_seen(
    app: Flask, api: Api, subscribers: None
) -> None:
    """Another delivery of the same alert commits between this one's read and its write."""
    body = payload(alert())
    engine: Engine = app.extensions["backline.db"]
    competitor: list[TestResponse | None] = []

    def race(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ALERTS") and not competitor:
            client = app.test_client()
            headers = {"Authorization": f"Bearer {api.secret}"}
            thread = threading.Thread(
                target=lambda: competitor.append(
                    client.post(PREFIX + PATH, json=body, headers=headers)
                )
            )
            competitor.append(None)  # claims the race before the thread runs
            thread.start()
            thread.join(30)

    event.listen(engine, "before_cursor_execute", race)
    try:
        response = api.post(PATH, json=body)
    finally:
        event.remove(engine, "before_cursor_execute", race)

    other = competitor[1]
    assert other is not None
    assert other.status_code == 200, other.text
    assert other.get_json()["alerts"][0]["outcome"] == "started"
    mine = response.get_json()["alerts"][0]
    assert mine["outcome"] == "already-seen"
    assert mine["outage_id"] == other.get_json()["alerts"][0]["outage_id"]
    assert (count(Outage), count(AlertRecord)) == (1, 1)


def test_resolved_moves_the_outage_to_monitoring_once_and_never_resolves_it(
    api: Api, subscribers: None
) -> None:
    [started] = deliver(api, alert())
    [resolved] = deliver(api, alert(status="resolved"), receiver="pager")
    [again] = deliver(api, alert(status="resolved"))

    outage = only_outage()
    assert resolved == {**resolved, "outcome": "monitoring", "outage_id": started["outage_id"]}
    assert again["outcome"] == "already-seen"
    assert outage.state == OutageState.MONITORING
    assert outage.resolved_at is None
    assert [(e.action, e.actor, e.changes) for e in outage.events][1:] == [
        ("update", "alertmanager:pager", {"state": "monitoring"})
    ]
    record = db.session.scalars(select(AlertRecord)).one()
    assert record.status == "resolved" and record.resolved_at is not None


def test_resolved_moves_an_identified_outage_to_monitoring(api: Api, subscribers: None) -> None:
    [started] = deliver(api, alert())
    api.patch(f"/outages/{started['outage_id']}", json={"state": "identified"})

    [resolved] = deliver(api, alert(status="resolved"))

    assert resolved["outcome"] == "monitoring"
    assert only_outage().state == OutageState.MONITORING


@pytest.mark.parametrize("state", ["monitoring", "resolved"])
def test_resolved_leaves_an_outage_a_person_moved_on_alone(
    api: Api, subscribers: None, state: str
) -> None:
    [started] = deliver(api, alert())
    assert api.patch(f"/outages/{started['outage_id']}", json={"state": state}).status_code == 200
    events = count(OutageEvent)

    [resolved] = deliver(api, alert(status="resolved"))

    assert resolved["outcome"] == "ignored"
    assert resolved["reason"] == f"outage {started['outage_id']} is already {state}"
    assert only_outage().state == state
    assert count(OutageEvent) == events


def test_a_resolved_alert_never_seen_firing_is_recorded_and_ignored(api: Api) -> None:
    [resolved] = deliver(api, alert(status="resolved"))
    [late] = deliver(api, alert())  # its firing delivery, arriving after the resolve

    assert resolved["outcome"] == "ignored"
    assert "resolved before Backline saw it firing" in resolved["reason"]
    assert late["outcome"] == "already-seen"
    assert count(Outage) == 0


def test_each_alert_acts_on_its_own_status_not_the_groups(api: Api, subscribers: None) -> None:
    deliver(api, alert(fingerprint="aaaa"))

    outcomes = deliver(
        api,
        alert(fingerprint="aaaa", status="resolved"),
        alert(fingerprint="bbbb", labels={"plan": "basic"}),
        alert(fingerprint="cccc", labels={}),
    )

    assert [o["outcome"] for o in outcomes] == ["monitoring", "started", "ignored"]
    states = db.session.scalars(select(Outage.state).order_by(Outage.id)).all()
    assert states == ["monitoring", "investigating"]
