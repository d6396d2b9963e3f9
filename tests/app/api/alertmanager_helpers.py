"""Alertmanager 0.25 webhook bodies, delivering them, and reading back the outages they left."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Outage
from tests.app.api.conftest import Api

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
