"""Periodic jobs: they run, leave a heartbeat, and only one worker schedules them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.core.extensions import redis_client
from app.core.scheduler import HEARTBEATS_KEY, PeriodicRunner
from app.resilience.pending import keep, pending_count
from tests.conftest import REDIS_URL


def _heartbeats(app: Flask) -> dict[str, Any]:
    client = redis_client()
    if client is not None:
        return {k.decode(): v.decode() for k, v in client.hgetall(HEARTBEATS_KEY).items()}
    return dict(app.extensions.get("backline.heartbeats", {}))


def test_due_jobs_run_and_leave_a_heartbeat(app: Flask) -> None:
    keep(
        "primary-failure",
        {
            "call_sid": "CA" + "1" * 32,
            "kind": "fallback",
            "sip_code": None,
            "error_code": "11200",
            "at": "2026-11-22T10:00:00+00:00",
        },
    )
    assert pending_count() == 1
    PeriodicRunner(app, exclusive=False).run_due()
    assert pending_count() == 0
    assert "replay-pending" in _heartbeats(app)


def test_a_poisoned_pending_entry_is_set_aside_and_does_not_block_the_rest(app: Flask) -> None:
    keep("primary-failure", {"nonsense": True})
    keep(
        "primary-failure",
        {
            "call_sid": "CA" + "2" * 32,
            "kind": "dial",
            "sip_code": 503,
            "error_code": None,
            "at": "2026-11-22T10:00:00+00:00",
        },
    )
    PeriodicRunner(app, exclusive=False).run_due()
    assert pending_count() == 0


@pytest.mark.skipif(not REDIS_URL, reason="the scheduler lock lives in Redis; set REDIS_URL")
def test_only_one_worker_schedules_the_periodic_jobs(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite's own `backline worker` holds the real lock; contend for a lock of our own.
    monkeypatch.setattr("app.core.scheduler.LOCK_KEY", "backline:scheduler:test")
    first, second = PeriodicRunner(app, exclusive=True), PeriodicRunner(app, exclusive=True)
    try:
        assert first._may_schedule() is True
        assert second._may_schedule() is False
        assert first._may_schedule() is True  # the holder keeps it
    finally:
        if first.lock is not None:
            first.lock.release()
