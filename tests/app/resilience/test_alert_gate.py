"""The alert gate: one admin alert per subject per window across processes, in Redis when there
is one, in the database without it or while it is down, and open when neither answers."""

from __future__ import annotations

from flask import Flask

from app.resilience.alert_gate import claim_alert, release_alert
from tests.app.conftest import MakeApp
from tests.helpers import free_port, wait_until

WINDOW_S = 600


def dead_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def refusing_database() -> str:
    return f"postgresql://backline@127.0.0.1:{free_port()}/backline"


def test_one_claim_per_subject_per_window_across_processes(app: Flask, make_app: MakeApp) -> None:
    assert claim_alert("fallback.own-webhook.11200", WINDOW_S)
    with make_app().app_context():  # another web process or worker
        assert not claim_alert("fallback.own-webhook.11200", WINDOW_S)
        assert claim_alert("fallback.own-webhook.12100", WINDOW_S)  # another subject
    assert not claim_alert("fallback.own-webhook.11200", WINDOW_S)


def test_a_claim_lapses_with_its_window(app: Flask) -> None:
    assert claim_alert("short", 1)
    assert not claim_alert("short", 1)
    assert wait_until(lambda: claim_alert("short", 1), timeout=20, interval=0.2)


def test_a_released_claim_can_be_taken_again(app: Flask) -> None:
    assert claim_alert("released", WINDOW_S)
    release_alert("released")
    assert claim_alert("released", WINDOW_S)


def test_with_redis_down_the_database_holds_the_claim(make_app: MakeApp) -> None:
    first, second = make_app(REDIS_URL=dead_redis()), make_app(REDIS_URL=dead_redis())
    with first.app_context():
        assert claim_alert("redis-down", WINDOW_S)
    with second.app_context():
        assert not claim_alert("redis-down", WINDOW_S)
        release_alert("redis-down")
        assert claim_alert("redis-down", WINDOW_S)


def test_with_redis_and_the_database_down_the_alert_goes_anyway(make_app: MakeApp) -> None:
    blind = make_app(REDIS_URL=dead_redis(), DATABASE_URL=refusing_database())
    with blind.app_context():
        assert claim_alert("nothing-answers", WINDOW_S)
        assert claim_alert("nothing-answers", WINDOW_S)  # a duplicate rather than silence
        release_alert("nothing-answers")  # and giving it back never raises
