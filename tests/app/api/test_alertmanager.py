"""POST /api/v1/alerts/alertmanager: the subscribers an alert's labels select, its messages,
and mis-labelled alerts (no scope, a number not in international form, a scope matching nobody).

The same endpoint's redeliveries and resolved alerts are in test_alertmanager_redelivery.py, its
refused payloads in test_alertmanager_payloads.py; a real Alertmanager delivering to Backline is
in tests/test_alertmanager_real.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.models import AlertRecord, Outage, OutageEvent, OutageState
from app.outages.affected import affected_count, affected_subscribers
from app.outages.detector import SUBSCRIBER_MESSAGE
from tests.app.api.alertmanager_helpers import alert, count, deliver, only_outage
from tests.app.api.conftest import Api

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


def test_the_summary_is_the_subscriber_message_and_callers_hear_the_template(
    api: Api, subscribers: None
) -> None:
    deliver(api, alert(annotations={"summary": "  SIP cluster B is down.  "}))

    outage = only_outage()
    assert outage.subscriber_message == "SIP cluster B is down."
    assert outage.caller_message is None  # the IVR's neutral template, not the NOC's wording
    assert outage.events[0].actor == "alertmanager:backline-noc"


def test_a_caller_message_annotation_is_what_callers_hear(api: Api, subscribers: None) -> None:
    annotations = {"summary": "SIP cluster B is down.", "caller_message": "Leave a message."}
    deliver(api, alert(annotations=annotations))

    assert only_outage().caller_message == "Leave a message."


def test_without_a_summary_subscribers_get_the_neutral_message(api: Api, subscribers: None) -> None:
    deliver(api, alert(annotations={"description": "probe failed"}))

    assert only_outage().subscriber_message == SUBSCRIBER_MESSAGE


MISLABELLED = [
    ({}, 'no region, number or plan label, and no backline_scope="all"'),
    ({"severity": "critical", "instance": "sbc-1"}, "no region, number or plan label"),
    ({"region": "   "}, "no region, number or plan label"),
    ({"backline_scope": "everyone"}, 'no backline_scope="all"'),
    ({"number": "555-0100"}, "the number label is not a phone number"),
    ({"number": "+1415555", "region": "us-west"}, "is not a valid phone number"),
    ({"number": "(415) 555-0100"}, "use the international form, like +14155550100"),
    ({"region": "us-wst"}, "Regions that exist: eu-central, us-west. Plans that exist: basic"),
    ({"region": "eu-central", "number": "+14155550100"}, "No subscriber matches region eu-central"),
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


def test_a_large_group_is_accepted(api: Api, subscribers: None) -> None:
    """A group bigger than the API's usual 64 KiB: refusing it would open no outage at all."""
    alerts = [alert(fingerprint=f"{i:016x}", labels={"region": "us-west", "instance": f"sbc-{i}"},
                    annotations={"description": "d" * 1000}) for i in range(100, 200)]  # fmt: skip

    outcomes = deliver(api, *alerts)

    assert {o["outcome"] for o in outcomes} == {"started"}
    assert count(Outage) == 100
