"""A real Alertmanager (Debian's prometheus-alertmanager) delivers a firing, then a resolved alert.

Backline is served over real HTTP on 127.0.0.1; Alertmanager, started here with clustering off
and its own storage, sends its webhook there with the API token as a bearer token.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.core.extensions import db
from app.models import AlertRecord, Outage, OutageEvent, OutageState
from app.outages.affected import affected_subscribers
from app.security.tokens import create_token
from tests.helpers import free_port, require_program, wait_until

pytestmark = pytest.mark.slow

RECEIVER = "backline"


@pytest.fixture
def backline_url(app: Flask) -> Iterator[str]:
    """The test app served over real HTTP on 127.0.0.1 (a free port), in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class Alertmanager:
    url: str
    log: Path

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200, response.read()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError):
            return False

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _config(webhook_url: str, token: str) -> dict[str, Any]:
    """Group quickly and resend resolved alerts; JSON is YAML, so no YAML writer is needed."""
    webhook = {
        "url": webhook_url,
        "send_resolved": True,
        "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
    }
    return {
        "route": {
            "receiver": RECEIVER,
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": RECEIVER, "webhook_configs": [webhook]}],
    }


@pytest.fixture
def api_token(app: Flask) -> str:
    """A real API token for Alertmanager to send, made as `backline token create` makes one."""
    _row, secret = create_token(db.session(), "alertmanager")
    db.session.commit()
    return secret


@pytest.fixture
def binary() -> str:
    """Alertmanager's program, looked up before anything else is set up for the test."""
    return require_program("prometheus-alertmanager")


@pytest.fixture
def alertmanager(
    binary: str, tmp_path: Path, backline_url: str, api_token: str
) -> Iterator[Alertmanager]:
    """A real Alertmanager on 127.0.0.1 whose one receiver is Backline's webhook."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(json.dumps(_config(f"{backline_url}/api/v1/alerts/alertmanager", api_token)))
    port = free_port()
    manager = Alertmanager(f"http://127.0.0.1:{port}", tmp_path / "alertmanager.log")
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip: one instance, no other port
        "--log.level=debug",
    ]
    with manager.log.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: process.poll() is not None or manager.ready(), timeout=20)
        assert process.poll() is None, f"alertmanager exited:\n{manager.tail()}"
        yield manager
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _outage_states() -> list[str]:
    db.session.rollback()  # a fresh read of what the server's threads committed
    return list(db.session.scalars(select(Outage.state).order_by(Outage.id)))


def test_a_real_alertmanager_opens_an_outage_then_moves_it_to_monitoring(
    alertmanager: Alertmanager, subscriber: Any
) -> None:
    subscriber(number="+14155550100", region="us-west")
    subscriber(number="+14155550101", region="eu-central")
    starts_at = datetime.now(UTC) - timedelta(minutes=1)
    alert = {
        "labels": {"alertname": "PrimaryDown", "region": "us-west", "severity": "critical"},
        "annotations": {"summary": "Calls in us-west reach voicemail."},
        "startsAt": starts_at.isoformat(),
        "generatorURL": "http://prometheus.example:9090/graph",
    }

    alertmanager.post_alerts([alert])
    try:
        wait_until(_outage_states, timeout=30)
    except AssertionError:
        pytest.fail(f"no outage from Alertmanager within 30 s:\n{alertmanager.tail()}")

    outage = db.session.scalars(select(Outage)).one()
    assert (outage.source, outage.state) == ("alertmanager", OutageState.INVESTIGATING)
    assert outage.subscriber_message == "Calls in us-west reach voicemail."
    assert [s.number for s in db.session.scalars(affected_subscribers(outage))] == ["+14155550100"]

    ended = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.post_alerts([{**alert, "endsAt": ended.isoformat()}])
    try:
        wait_until(lambda: _outage_states() != [OutageState.INVESTIGATING], timeout=30)
    except AssertionError:
        pytest.fail(f"the outage did not reach monitoring in 30 s:\n{alertmanager.tail()}")

    assert _outage_states() == [OutageState.MONITORING]
    record = db.session.scalars(select(AlertRecord)).one()
    assert record.status == "resolved" and record.outage_id == outage.id
    assert record.starts_at == starts_at
    events = db.session.scalars(select(OutageEvent).order_by(OutageEvent.id)).all()
    assert [(e.action, e.actor) for e in events] == [
        ("start", f"alertmanager:{RECEIVER}"),
        ("update", f"alertmanager:{RECEIVER}"),
    ]
