"""The detector: a real health endpoint on 127.0.0.1 and real evidence rows decide the outage."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.detector import SUBSCRIBER_MESSAGE, check_primary
from app.extensions import db
from app.models import (
    JobState,
    Outage,
    OutageEvent,
    OutageSource,
    OutageState,
    PrimaryFailure,
    utcnow,
)
from app.outages import resolve_outage
from app.periodic import PeriodicRunner
from tests.app.test_periodic import _heartbeats
from tests.helpers import free_port

OPEN_AFTER = 3
CLOSE_AFTER = 5
FAILURES = 5


class HealthServer:
    """The primary's health endpoint: answers `status`, or hangs, or hangs up without answering."""

    def __init__(self) -> None:
        self.status: int | str = 200  # an HTTP status, "hang" or "close"
        self.requests = 0
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.status == "hang":
                    server.release.wait(10)
                    return
                if server.status == "close":
                    return  # the connection closes with no status line at all
                assert isinstance(server.status, int)
                self.send_response(server.status)
                if 300 <= server.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/health"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HealthServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def health(app: Flask) -> Iterator[HealthServer]:
    """A health endpoint the app under test probes, with short thresholds and timeouts."""
    with HealthServer() as server:
        app.config.update(_detector_settings(server.url))
        yield server


def _detector_settings(url: str | None) -> dict[str, Any]:
    return {
        "PRIMARY_HEALTH_URL": url,
        "BACKLINE_DETECTOR_OPEN_AFTER": OPEN_AFTER,
        "BACKLINE_DETECTOR_CLOSE_AFTER": CLOSE_AFTER,
        "BACKLINE_DETECTOR_FAILURES": FAILURES,
        "BACKLINE_DETECTOR_WINDOW_SECONDS": 120,
        "BACKLINE_DETECTOR_PROBE_TIMEOUT_SECONDS": 1,
    }


def _detector_outages() -> list[Outage]:
    db.session.expire_all()
    query = select(Outage).where(Outage.source == OutageSource.DETECTOR).order_by(Outage.id)
    return list(db.session.scalars(query))


def _checks(health: HealthServer, pattern: Sequence[int | str]) -> None:
    """One detector check per entry, with the endpoint answering that entry."""
    for status in pattern:
        health.status = status
        check_primary()


def _evidence(count: int, seconds_ago: float = 0, kind: str = "dial") -> None:
    at = utcnow() - timedelta(seconds=seconds_ago)
    for _ in range(count):
        db.session.add(
            PrimaryFailure(
                at=at,
                call_sid="CA" + secrets.token_hex(16),
                kind=kind,
                sip_code=503 if kind == "dial" else None,
                error_code="11200" if kind == "fallback" else None,
            )
        )
    db.session.commit()


@pytest.mark.parametrize("down", [503, 500, "hang", "close"])
def test_opens_only_after_n_consecutive_failed_probes(
    health: HealthServer, down: int | str
) -> None:
    _checks(health, [down] * (OPEN_AFTER - 1))
    assert _detector_outages() == []

    _checks(health, [down])

    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING
    assert outage.covers_everyone
    assert outage.caller_message is None  # callers hear the neutral localised template
    assert outage.subscriber_message == SUBSCRIBER_MESSAGE
    assert health.requests == OPEN_AFTER


def test_a_refused_connection_counts_as_down(app: Flask) -> None:
    app.config.update(_detector_settings(f"http://127.0.0.1:{free_port()}/health"))
    for _ in range(OPEN_AFTER):
        assert _detector_outages() == []
        check_primary()
    assert len(_detector_outages()) == 1


@pytest.mark.parametrize("status", [200, 204, 302, 404, 429])
def test_any_answer_below_500_means_the_primary_is_up(health: HealthServer, status: int) -> None:
    _checks(health, [status] * (OPEN_AFTER * 3))
    assert _detector_outages() == []
    assert health.requests == OPEN_AFTER * 3


def test_a_single_blip_does_not_open(health: HealthServer) -> None:
    _checks(health, [200, 503, 200, 200, 200, 503, 503, 200, 200])
    assert _detector_outages() == []


def test_a_flapping_primary_never_opens_an_outage(health: HealthServer) -> None:
    _checks(health, [503, 200] * 10)
    assert _detector_outages() == []


def test_a_long_failure_opens_exactly_one_outage(health: HealthServer) -> None:
    _checks(health, [503] * (OPEN_AFTER * 5))
    _evidence(FAILURES * 2)
    _checks(health, [503] * 3)
    assert len(_detector_outages()) == 1


def test_crossing_the_failure_rate_opens_at_once_even_without_a_probe(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES - 1)
    check_primary()
    assert _detector_outages() == []

    _evidence(1, kind="fallback")
    check_primary()

    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING


def test_crossing_the_failure_rate_opens_even_when_the_probe_answers(health: HealthServer) -> None:
    _checks(health, [200])
    _evidence(FAILURES)
    _checks(health, [200])
    assert len(_detector_outages()) == 1


def test_evidence_older_than_the_window_does_not_count(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES * 3, seconds_ago=121)
    _evidence(FAILURES - 1)
    check_primary()
    check_primary()
    assert _detector_outages() == []


def test_healthy_checks_move_it_to_monitoring_and_never_resolve_it(health: HealthServer) -> None:
    _checks(health, [503] * OPEN_AFTER)
    _checks(health, [200] * (CLOSE_AFTER - 1))
    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING

    _checks(health, [200])
    [outage] = _detector_outages()
    assert outage.state == OutageState.MONITORING

    _checks(health, [200] * (CLOSE_AFTER * 4))
    [outage] = _detector_outages()
    assert outage.state == OutageState.MONITORING
    assert outage.resolved_at is None


def test_new_evidence_or_a_failed_probe_restarts_the_healthy_count(health: HealthServer) -> None:
    _checks(health, [503] * OPEN_AFTER)
    _checks(health, [200] * (CLOSE_AFTER - 1))
    _evidence(1)  # a failed dial while the probe says fine
    _checks(health, [200] * (CLOSE_AFTER - 1) + [503] + [200] * (CLOSE_AFTER - 1))
    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING

    _checks(health, [200])
    [outage] = _detector_outages()
    assert outage.state == OutageState.MONITORING


def test_a_flapping_primary_keeps_an_open_outage_out_of_monitoring(health: HealthServer) -> None:
    _checks(health, [503] * OPEN_AFTER)
    _checks(health, [200, 200, 503] * 6)
    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING


def test_a_monitoring_outage_goes_back_to_investigating_when_the_primary_fails_again(
    health: HealthServer,
) -> None:
    _checks(health, [503] * OPEN_AFTER + [200] * CLOSE_AFTER)
    _checks(health, [503] * (OPEN_AFTER - 1))
    assert _detector_outages()[0].state == OutageState.MONITORING

    _checks(health, [503])

    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING
    events = db.session.scalars(select(OutageEvent).where(OutageEvent.outage_id == outage.id))
    assert [(e.actor, e.action, e.changes.get("state")) for e in events] == [
        ("detector", "start", "investigating"),
        ("detector", "update", "monitoring"),
        ("detector", "update", "investigating"),
    ]


def test_the_evidence_that_opened_an_outage_does_not_push_it_back_from_monitoring(
    app: Flask,
) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES)
    for _ in range(1 + CLOSE_AFTER + 3):  # open, move to monitoring, then stay there
        check_primary()
    [outage] = _detector_outages()
    assert outage.state == OutageState.MONITORING


def test_an_admin_outage_covering_everyone_suppresses_it(health: HealthServer, outage: Any) -> None:
    admin = outage()
    _checks(health, [503] * (OPEN_AFTER * 3))
    _evidence(FAILURES * 2)
    _checks(health, [503])
    assert _detector_outages() == []

    # Once a person resolves theirs, the detector counts afresh instead of reopening at once.
    resolve_outage(db.session(), admin, actor="test")
    db.session.commit()
    _checks(health, [503] * (OPEN_AFTER - 1))
    assert _detector_outages() == []
    _checks(health, [503])
    assert len(_detector_outages()) == 1


def test_an_admin_outage_for_one_region_does_not_suppress_it(
    health: HealthServer, outage: Any
) -> None:
    outage(regions=["north"])
    _checks(health, [503] * OPEN_AFTER)
    assert len(_detector_outages()) == 1


def test_after_a_person_resolves_it_old_evidence_does_not_reopen_it(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES)
    check_primary()
    _evidence(FAILURES)  # calls kept failing while it was open
    check_primary()
    [opened] = _detector_outages()
    resolve_outage(db.session(), opened, actor="cli:noc")
    db.session.commit()

    check_primary()
    check_primary()
    assert [o.state for o in _detector_outages()] == [OutageState.RESOLVED]

    _evidence(FAILURES)  # the primary fails again
    check_primary()
    assert [o.state for o in _detector_outages()] == [
        OutageState.RESOLVED,
        OutageState.INVESTIGATING,
    ]


def test_after_a_person_resolves_it_a_failing_probe_must_fail_n_times_again(
    health: HealthServer,
) -> None:
    _checks(health, [503] * (OPEN_AFTER * 3))
    [opened] = _detector_outages()
    resolve_outage(db.session(), opened, actor="cli:noc")
    db.session.commit()

    _checks(health, [503] * (OPEN_AFTER - 1))
    assert len(_detector_outages()) == 1
    _checks(health, [503])
    assert [o.state for o in _detector_outages()] == [
        OutageState.RESOLVED,
        OutageState.INVESTIGATING,
    ]


def test_counters_survive_a_new_app_instance(
    health: HealthServer, settings: dict[str, Any]
) -> None:
    _checks(health, [503] * (OPEN_AFTER - 1))
    assert _detector_outages() == []

    restarted = create_app({**settings, **_detector_settings(health.url)})
    with restarted.app_context():
        check_primary()
        assert len(_detector_outages()) == 1


def test_every_change_is_logged_with_the_detector_as_actor(health: HealthServer) -> None:
    _checks(health, [503] * OPEN_AFTER + [200] * CLOSE_AFTER)
    [outage] = _detector_outages()
    events = list(db.session.scalars(select(OutageEvent).where(OutageEvent.outage_id == outage.id)))
    assert [(e.actor, e.action) for e in events] == [("detector", "start"), ("detector", "update")]
    assert events[0].changes["source"] == "detector"
    assert events[1].changes == {"state": "monitoring"}


def test_the_periodic_runner_runs_the_detector_and_the_reminders(
    app: Flask, health: HealthServer
) -> None:
    health.status = 503
    PeriodicRunner(app, exclusive=False).run_due()
    assert health.requests == 1
    beats = _heartbeats(app)
    assert "detect-primary-outage" in beats and "remind-stale-outages" in beats


def test_with_no_signal_configured_the_detector_is_off_and_keeps_no_memory(app: Flask) -> None:
    app.config.update(PRIMARY_HEALTH_URL=None, BACKLINE_DETECTOR_FAILURES=0)
    _evidence(10)
    assert check_primary() == "off"
    assert _detector_outages() == []
    assert db.session.scalars(select(JobState)).all() == []
