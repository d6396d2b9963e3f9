"""The detector after it opened an outage: monitoring, reopening, people resolving, audit log."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.models import OutageEvent, OutageState
from app.outages.detector import check_primary
from app.outages.lifecycle import resolve_outage
from tests.app.outages.detector_helpers import (
    CLOSE_AFTER,
    FAILURES,
    OPEN_AFTER,
    HealthServer,
    _checks,
    _detector_outages,
    _detector_settings,
    _evidence,
)


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


def test_every_change_is_logged_with_the_detector_as_actor(health: HealthServer) -> None:
    _checks(health, [503] * OPEN_AFTER + [200] * CLOSE_AFTER)
    [outage] = _detector_outages()
    events = list(db.session.scalars(select(OutageEvent).where(OutageEvent.outage_id == outage.id)))
    assert [(e.actor, e.action) for e in events] == [("detector", "start"), ("detector", "update")]
    assert events[0].changes["source"] == "detector"
    assert events[1].changes == {"state": "monitoring"}
