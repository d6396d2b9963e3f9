"""POST /api/v1/alerts/alertmanager: scopes, idempotency, mis-labelled alerts, bad payloads.

A real Alertmanager delivering to Backline is in tests/test_alertmanager_real.py.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from app.detector import SUBSCRIBER_MESSAGE
from app.extensions import db
from app.models import AlertRecord, Outage, OutageEvent, OutageState, Subscriber
from app.outages import affected_count, affected_subscribers
from tests.api.conftest import PREFIX, Api, assert_error
from tests.api.test_openapi import conforms

PATH = "/alerts/alertmanager"
STARTS_AT = "2026-11-22T10:00:00.123456789Z"  # Go writes nanoseconds


def alert(
    fingerprint: str = "a1b2c3d4e5f60718",
    status: str = "firing",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    starts_at: str = STARTS_AT,
) -> dict[str, Any]:
    """One alert as Alertmanager 0.25 writes it into a webhook body."""
    if labels is None:
        labels = {"region": "us-west"}
    if annotations is None:
        annotations = {"summary": "Calls in us-west reach voicemail."}
    return {
        "status": status,
        "labels": {"alertname": "PrimaryDown", **labels},
        "annotations": annotations,
        "startsAt": starts_at,
        "endsAt": "2026-11-22T11:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": fingerprint,
    }


def payload(*alerts: dict[str, Any], receiver: str = "backline-noc") -> dict[str, Any]:
    """A version 4 webhook body around `alerts`."""
    firing = any(a.get("status") == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="PrimaryDown"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": "PrimaryDown"},
        "commonLabels": {"alertname": "PrimaryDown"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def deliver(api: Api, *alerts: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    """Deliver the alerts; return what the answer says each one did."""
    response = api.post(PATH, json=payload(*alerts, **kwargs))
    assert response.status_code == 200, response.text
    return list(response.get_json()["alerts"])


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def only_outage() -> Outage:
    db.session.expire_all()
    outages = db.session.scalars(select(Outage)).all()
    assert len(outages) == 1, outages
    return outages[0]


@pytest.fixture
def subscribers(subscriber: Any) -> None:
    """Four subscribers: two regions by two plans."""
    subscriber(number="+14155550100", region="us-west", plan="premium")
    subscriber(number="+14155550101", region="us-west", plan="basic")
    subscriber(number="+14155550102", region="eu-central", plan="premium")
    subscriber(number="+14155550103", region="eu-central", plan="basic")


SCOPES = [
    ({"region": "us-west"}, ["+14155550100", "+14155550101"]),
    ({"number": "+1 (415) 555-0102"}, ["+14155550102"]),
    ({"plan": "basic"}, ["+14155550101", "+14155550103"]),
    ({"region": "eu-central", "plan": "premium"}, ["+14155550102"]),
    ({"backline_scope": "all"}, ["+14155550100", "+14155550101", "+14155550102", "+14155550103"]),
    ({"region": "us-west", "backline_scope": "all"}, ["+14155550100", "+14155550101"]),
]


@pytest.mark.parametrize(("labels", "numbers"), SCOPES)
def test_labels_select_exactly_the_right_subscribers(
    api: Api, subscribers: None, labels: dict[str, str], numbers: list[str]
) -> None:
    [outcome] = deliver(api, alert(labels=labels))

    outage = only_outage()
    assert outcome["outcome"] == "started"
    assert outcome["outage_id"] == outage.id
    assert (outage.source, outage.state) == ("alertmanager", OutageState.INVESTIGATING)
    affected = db.session.scalars(affected_subscribers(outage)).all()
    assert sorted(s.number for s in affected) == numbers
    assert affected_count(db.session(), outage) == len(numbers)


def test_the_summary_is_the_subscriber_message_and_callers_hear_the_template(api: Api) -> None:
    deliver(api, alert(annotations={"summary": "  SIP cluster B is down.  "}))

    outage = only_outage()
    assert outage.subscriber_message == "SIP cluster B is down."
    assert outage.caller_message is None  # the IVR's neutral template, not the NOC's wording
    assert outage.events[0].actor == "alertmanager:backline-noc"


def test_a_caller_message_annotation_is_what_callers_hear(api: Api) -> None:
    annotations = {"summary": "SIP cluster B is down.", "caller_message": "Leave a message."}
    deliver(api, alert(annotations=annotations))

    assert only_outage().caller_message == "Leave a message."


def test_without_a_summary_subscribers_get_the_neutral_message(api: Api) -> None:
    deliver(api, alert(annotations={"description": "probe failed"}))

    assert only_outage().subscriber_message == SUBSCRIBER_MESSAGE


def test_a_repeated_delivery_starts_nothing_twice(api: Api, subscribers: None) -> None:
    [first] = deliver(api, alert())
    [again] = deliver(api, alert())
    [nanos] = deliver(api, alert(starts_at="2026-11-22T10:00:00.123456999Z"))  # same microsecond

    assert first["outcome"] == "started"
    assert again["outcome"] == nanos["outcome"] == "already-seen"
    assert again["outage_id"] == nanos["outage_id"] == first["outage_id"]
    assert (count(Outage), count(OutageEvent), count(AlertRecord)) == (1, 1, 1)


def test_the_same_fingerprint_firing_again_later_is_a_new_alert(api: Api) -> None:
    [first] = deliver(api, alert())
    [later] = deliver(api, alert(starts_at="2026-11-22T14:00:00+02:00"))

    assert first["outcome"] == later["outcome"] == "started"
    assert count(Outage) == 2


def test_a_concurrent_duplicate_delivery_is_already_seen(app: Flask, api: Api) -> None:
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


MISLABELLED = [
    ({}, 'no region, number or plan label, and no backline_scope="all"'),
    ({"severity": "critical", "instance": "sbc-1"}, "no region, number or plan label"),
    ({"region": "   "}, "no region, number or plan label"),
    ({"backline_scope": "everyone"}, 'no backline_scope="all"'),
    ({"number": "555-0100"}, "the number label is not a phone number"),
    ({"number": "+1415555", "region": "us-west"}, "is not a valid phone number"),
]


@pytest.mark.parametrize(("labels", "reason"), MISLABELLED)
def test_a_mislabelled_alert_is_acknowledged_and_changes_nothing(
    api: Api, subscribers: None, labels: dict[str, str], reason: str
) -> None:
    [fired] = deliver(api, alert(labels=labels))
    [resolved] = deliver(api, alert(labels=labels, status="resolved"))

    assert fired["outcome"] == resolved["outcome"] == "ignored"
    assert reason in fired["reason"]
    assert fired["outage_id"] is None
    assert (count(Outage), count(OutageEvent)) == (0, 0)
    record = db.session.scalars(select(AlertRecord)).one()
    assert reason in (record.ignored_reason or "")


def test_resolved_moves_the_outage_to_monitoring_once_and_never_resolves_it(api: Api) -> None:
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


def test_resolved_moves_an_identified_outage_to_monitoring(api: Api) -> None:
    [started] = deliver(api, alert())
    api.patch(f"/outages/{started['outage_id']}", json={"state": "identified"})

    [resolved] = deliver(api, alert(status="resolved"))

    assert resolved["outcome"] == "monitoring"
    assert only_outage().state == OutageState.MONITORING


@pytest.mark.parametrize("state", ["monitoring", "resolved"])
def test_resolved_leaves_an_outage_a_person_moved_on_alone(api: Api, state: str) -> None:
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


def test_each_alert_acts_on_its_own_status_not_the_groups(api: Api) -> None:
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


def test_a_large_group_is_accepted(api: Api) -> None:
    """A group bigger than the API's usual 64 KiB: refusing it would open no outage at all."""
    alerts = [alert(fingerprint=f"{i:016x}", labels={"number": f"+1415555{i:04d}"},
                    annotations={"description": "d" * 1000}) for i in range(100, 200)]  # fmt: skip

    outcomes = deliver(api, *alerts)

    assert {o["outcome"] for o in outcomes} == {"started"}
    assert count(Outage) == 100


def test_the_answer_and_a_real_payload_match_the_openapi_document(
    client: FlaskClient, api: Api
) -> None:
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    body = payload(alert(), alert(fingerprint="bbbb", labels={}))

    conforms(document, "AlertmanagerWebhook", body)
    conforms(document, "AlertOutcomes", api.post(PATH, json=body).get_json())


def bad(**changes: Any) -> dict[str, Any]:
    """A body with one alert, changed or with fields removed (a value of ...)."""
    one = alert()
    for name, value in changes.items():
        if value is ...:
            del one[name]
        else:
            one[name] = value
    return payload(one)


BAD_BODIES = [
    ({**payload(alert()), "version": "3"}, 422, "version", 'expected "4"'),
    ({k: v for k, v in payload(alert()).items() if k != "version"}, 422, "version", "nothing"),
    ({**payload(alert()), "alerts": {"a": 1}}, 422, "alerts", "array of alerts"),
    ({**payload(alert()), "alerts": None}, 422, "alerts", "array of alerts"),
    ({**payload(alert()), "receiver": 7}, 422, "receiver", "expected a string"),
    ({**payload(alert()), "alerts": ["firing"]}, 422, "alerts[0]", "expected an alert object"),
    (bad(fingerprint=...), 422, "alerts[0].fingerprint", "is required"),
    (bad(fingerprint="  "), 422, "alerts[0].fingerprint", "1 to 64 characters"),
    (bad(fingerprint="f" * 65), 422, "alerts[0].fingerprint", "1 to 64 characters"),
    (bad(fingerprint=12), 422, "alerts[0].fingerprint", "expected a string"),
    (bad(startsAt=...), 422, "alerts[0].startsAt", "is required"),
    (bad(startsAt="yesterday"), 422, "alerts[0].startsAt", "not an RFC 3339 time"),
    (bad(startsAt="2026-11-22T10:00:00"), 422, "alerts[0].startsAt", "with an offset"),
    (bad(startsAt=1764000000), 422, "alerts[0].startsAt", "as a string"),
    (bad(startsAt="2026-02-30T10:00:00Z"), 422, "alerts[0].startsAt", "not an RFC 3339 time"),
    (bad(status="pending"), 422, "alerts[0].status", '"firing" or "resolved"'),
    (bad(status=...), 422, "alerts[0].status", "got nothing"),
    (bad(labels=["region"]), 422, "alerts[0].labels", "expected an object of strings"),
    (bad(labels={"region": 5}), 422, "alerts[0].labels.region", "expected a string"),
    (bad(labels={"region": "us\x00west"}), 422, "alerts[0].labels.region", "NUL"),
    (bad(annotations={"summary": "\ud800"}), 422, "alerts[0].annotations.summary", "surrogate"),
]


@pytest.mark.parametrize(("body", "status", "field", "phrase"), BAD_BODIES)
def test_bad_payloads_are_refused_with_a_sentence_naming_the_field(
    api: Api, body: Any, status: int, field: str, phrase: str
) -> None:
    error = assert_error(api.post(PATH, json=body), status, phrase)

    assert error["field"] == field
    assert (count(Outage), count(AlertRecord)) == (0, 0)


@pytest.mark.parametrize(
    ("data", "phrase"),
    [("{not json", "not valid JSON"), ('["an", "array"]', "must be a JSON object, not an array"),
     ("", "not valid JSON"), ('{"a": ' * 100_000, "not valid JSON")],
    ids=["malformed", "array", "empty", "deep"],
)  # fmt: skip
def test_a_body_that_is_not_a_json_object_is_400(api: Api, data: str, phrase: str) -> None:
    response = api.post(PATH, data=data, content_type="application/json")

    assert_error(response, 400, phrase)


def test_a_body_over_a_mebibyte_is_413(api: Api) -> None:
    response = api.post(PATH, data="x" * (1024 * 1024 + 1), content_type="application/json")

    assert_error(response, 413, "1024 KiB")


def test_a_bad_alert_after_a_good_one_writes_nothing(api: Api) -> None:
    body = payload(alert(fingerprint="good"), {**alert(fingerprint="bad"), "startsAt": "soon"})

    assert_error(api.post(PATH, json=body), 422, "alerts[1].startsAt")

    assert (count(Outage), count(OutageEvent), count(AlertRecord)) == (0, 0, 0)


@pytest.mark.parametrize("header", [None, "Bearer not-a-token"], ids=["none", "unknown"])
def test_without_a_valid_token_it_is_401_and_nothing_starts(
    client: FlaskClient, subscribers: None, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}

    response = client.post(PREFIX + PATH, json=payload(alert()), headers=headers)

    assert_error(response, 401, "API token")
    assert count(Outage) == 0
    assert count(Subscriber) == 4
