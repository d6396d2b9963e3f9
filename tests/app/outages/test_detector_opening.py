"""The detector opening an outage: failed probes in a row, the failure rate, what holds it off."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.core.periodic import periodic_named, run_once
from app.models import JobState, OutageState
from app.outages.detector import SUBSCRIBER_MESSAGE, check_primary
from app.outages.lifecycle import resolve_outage
from tests.app.core.test_periodic import _heartbeats
from tests.app.outages.detector_helpers import (
    FAILURES,
    OPEN_AFTER,
    HealthServer,
    _checks,
    _detector_outages,
    _detector_settings,
    _evidence,
)
from tests.helpers import free_port
from tests.support.app_state import built_app


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

    _evidence(1, kind="trunk")
    check_primary()

    [outage] = _detector_outages()
    assert outage.state == OutageState.INVESTIGATING


def test_crossing_the_failure_rate_opens_even_when_the_probe_answers(health: HealthServer) -> None:
    _checks(health, [200])
    _evidence(FAILURES)
    _checks(health, [200])
    assert len(_detector_outages()) == 1


def test_rows_an_earlier_release_wrote_for_any_fallback_request_do_not_count(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES * 2, kind="fallback")  # a number's Fallback URL or a trunk's: unknown

    assert check_primary() == "healthy"
    assert _detector_outages() == []


def test_evidence_older_than_the_window_does_not_count(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES * 3, seconds_ago=121)
    _evidence(FAILURES - 1)
    check_primary()
    check_primary()
    assert _detector_outages() == []


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


def test_counters_survive_a_new_app_instance(
    health: HealthServer, settings: dict[str, Any]
) -> None:
    _checks(health, [503] * (OPEN_AFTER - 1))
    assert _detector_outages() == []

    restarted = built_app({**settings, **_detector_settings(health.url)})
    with restarted as process, process.app_context():
        check_primary()
        assert len(_detector_outages()) == 1


def test_the_periodic_table_runs_the_detector_and_the_reminders(
    app: Flask, health: HealthServer
) -> None:
    health.status = 503
    for name in ("detect-primary-outage", "remind-stale-outages"):
        assert run_once(periodic_named(name))  # as a worker or serve's thread runs each
    assert health.requests == 1
    beats = _heartbeats(app)
    assert "detect-primary-outage" in beats and "remind-stale-outages" in beats


def test_with_no_signal_configured_the_detector_is_off_and_keeps_no_memory(app: Flask) -> None:
    app.config.update(PRIMARY_HEALTH_URL=None, BACKLINE_DETECTOR_FAILURES=0)
    _evidence(10)
    assert check_primary() == "off"
    assert _detector_outages() == []
    assert db.session.scalars(select(JobState)).all() == []
