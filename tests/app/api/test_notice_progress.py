"""Notice progress, confirmation and reports through the API and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.core.extensions import db
from app.models import OutageSource
from app.outages.lifecycle import Scope, start_outage
from tests.app.api.conftest import Api
from tests.conftest import Invoke, settle
from tests.support.smtp import SmtpSink


def _detected() -> Any:
    outage = start_outage(
        db.session(), actor="detector", scope=Scope(), source=OutageSource.DETECTOR
    )
    db.session.commit()
    return outage


def test_progress_confirm_and_report_through_the_api(
    api: Api, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550801", ["a@example.com"])
    subscriber("+14155550802", ["b@example.com"])
    outage = _detected()

    held = api.get(f"/outages/{outage.id}/progress").get_json()
    assert [(n["kind"], n["state"]) for n in held["notices"]] == [("start", "held")]

    confirmed = api.post(f"/outages/{outage.id}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.get_json()["confirmed_by"].startswith("api:")
    assert settle()
    [start] = api.get(f"/outages/{outage.id}/progress").get_json()["notices"]
    assert start["state"] == "done"
    assert start["email"] == {
        "total": 2,
        "sent": 2,
        "failed": 0,
        "refused": 0,
        "withdrawn": 0,
        "pending": 0,
    }

    early = api.request("PUT", f"/outages/{outage.id}/report", json={"report": "Soon."})
    assert early.status_code == 409
    assert "resolve it before the report" in early.get_json()["error"]
    assert api.post(f"/outages/{outage.id}/resolve").status_code == 200
    bad = api.request("PUT", f"/outages/{outage.id}/report", json={"report": 42})
    assert bad.status_code == 422 and "report" in bad.get_json()["error"]
    published = api.request("PUT", f"/outages/{outage.id}/report", json={"report": "Fibre cut."})
    assert published.status_code == 200
    assert published.get_json()["report"] == "Fibre cut."
    assert settle()
    kinds = [n["kind"] for n in api.get(f"/outages/{outage.id}/progress").get_json()["notices"]]
    assert kinds == ["start", "resolve", "report"]
    assert len(smtp.messages) == 6
    assert api.get("/outages/999/progress").status_code == 404


def test_progress_confirm_and_report_through_the_cli(
    cli: Invoke, app: Flask, subscriber: Any, smtp: SmtpSink, tmp_path: Path
) -> None:
    subscriber("+14155550811", ["a@example.com"])
    outage = _detected()

    assert "(start, held)" in cli("outage", "progress", str(outage.id)).output
    confirmed = cli("outage", "confirm", str(outage.id))
    assert confirmed.exit_code == 0, confirmed.output
    again = cli("outage", "confirm", str(outage.id))
    assert "confirmed already" in again.output
    assert settle()  # with REDIS_URL the worker sends them
    progress = cli("outage", "progress", str(outage.id)).output
    assert "(start, done): email 1 sent, 0 failed, 0 refused, 0 pending" in progress

    report = tmp_path / "report.md"
    report.write_text("# What happened\n\nA fibre cut.\n", encoding="utf-8")
    early = cli("outage", "report", str(outage.id), "--file", str(report))
    assert early.exit_code != 0 and "resolve it before the report" in early.output
    assert cli("outage", "resolve", str(outage.id)).exit_code == 0
    published = cli("outage", "report", str(outage.id), "--file", str(report))
    assert published.exit_code == 0, published.output
    repeated = cli("outage", "report", str(outage.id), "--file", str(report))
    assert "already has this report" in repeated.output
    assert settle()
    assert len(smtp.messages) == 3
    assert cli("outage", "progress", "999").exit_code != 0


def test_a_redelivered_alert_notifies_once_after_confirmation(
    api: Api, subscriber: Any, smtp: SmtpSink
) -> None:
    from tests.app.api.test_alertmanager import alert, deliver

    subscriber("+14155550821", ["a@example.com"], region="us-west")
    subscriber("+14155550822", ["b@example.com"], region="us-east")
    [first] = deliver(api, alert())
    [again] = deliver(api, alert())
    assert again["outcome"] == "already-seen"
    assert settle()
    assert smtp.messages == []  # automatic: held until a person confirms

    assert api.post(f"/outages/{first['outage_id']}/confirm").status_code == 200
    deliver(api, alert())
    assert settle()
    [email] = smtp.messages
    assert str(email["To"]) == "a@example.com"
    assert "Calls in us-west reach voicemail." in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
