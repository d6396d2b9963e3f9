"""Periodic jobs: they run, leave a heartbeat, never twice at once, and only one worker
schedules them; the scheduler hands runs over and never runs one itself."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from structlog.testing import capture_logs

import app.core.periodic as periodic_module
import app.core.scheduler as scheduler_module
from app.core.extensions import redis_client
from app.core.periodic import HEARTBEATS_KEY, Periodic
from app.core.scheduler import PeriodicScheduler, RqLaunch, ThreadLaunch
from app.resilience.pending import keep, pending_count
from tests.app.conftest import MakeApp
from tests.conftest import REDIS_URL
from tests.helpers import wait_until
from tests.support.dead_ends import refused_url


def _heartbeats(app: Flask) -> dict[str, Any]:
    client = redis_client()
    if client is not None:
        return {k.decode(): v.decode() for k, v in client.hgetall(HEARTBEATS_KEY).items()}
    return dict(app.extensions.get("backline.heartbeats", {}))


def _failed_call(digit: str) -> dict[str, Any]:
    return {
        "call_sid": "CA" + digit * 32,
        "kind": "fallback",
        "sip_code": None,
        "error_code": "11200",
        "at": "2026-11-22T10:00:00+00:00",
    }


def test_due_jobs_run_and_leave_a_heartbeat(app: Flask) -> None:
    keep("primary-failure", _failed_call("1"))
    assert pending_count() == 1
    PeriodicScheduler(app, exclusive=False).launch_due()  # a thread here; the worker on Redis
    wait_until(lambda: pending_count() == 0)
    wait_until(lambda: "replay-pending" in _heartbeats(app))


def test_a_poisoned_pending_entry_is_set_aside_and_does_not_block_the_rest(app: Flask) -> None:
    keep("primary-failure", {"nonsense": True})
    keep("primary-failure", {**_failed_call("2"), "kind": "dial", "sip_code": 503})
    PeriodicScheduler(app, exclusive=False).launch_due()
    wait_until(lambda: pending_count() == 0)


class Gate:
    """A periodic job body that waits until the test opens it, counting runs at once."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.running = self.most_at_once = self.runs = 0
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.running += 1
            self.runs += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.open.wait(30)
        with self.lock:
            self.running -= 1


def test_in_process_the_same_job_never_runs_twice_at_once_and_others_go_on(
    make_app: MakeApp,
) -> None:
    app = make_app(REDIS_URL=None)
    slow, quick = Gate(), Gate()
    quick.open.set()
    table = (Periodic("slow", 0, slow), Periodic("quick", 0, quick))
    scheduler = PeriodicScheduler(app, exclusive=False, table=table)
    assert isinstance(scheduler.launch, ThreadLaunch)
    with app.app_context(), capture_logs() as logs:
        for _ in range(3):
            scheduler.launch_due()
            wait_until(lambda: slow.runs == 1)
            scheduler.launch.join(timeout=0.05)  # quick's run is over; slow's is not
    assert quick.runs == 3  # every round, while slow's first run still holds on
    assert slow.runs == 1 and slow.most_at_once == 1
    skipped = [entry for entry in logs if entry.get("job") == "slow"]
    assert [entry["event"] for entry in skipped] == [
        "periodic job still running; this run skipped"
    ] * 2
    slow.open.set()
    scheduler.launch.join(timeout=30)
    scheduler.launch_due()  # its run is over: the next one starts
    wait_until(lambda: slow.runs == 2)
    scheduler.launch.join(timeout=30)


@pytest.mark.skipif(not REDIS_URL, reason="runs are rq jobs only on Redis; set REDIS_URL")
def test_on_redis_a_run_is_not_queued_while_the_previous_one_is(app: Flask) -> None:
    # A queue no worker serves, so the first run stays queued.
    job = Periodic("held-test", 0, lambda: None, queue="periodic-test")
    client = redis_client()
    assert client is not None
    launch = RqLaunch(client)
    queue = Queue("periodic-test", connection=client)
    try:
        with capture_logs() as logs:
            launch(job)
            launch(job)
        assert queue.job_ids == ["periodic-held-test"]
        assert logs[-1]["event"] == "periodic job still queued or running; this run skipped"
        queued = queue.fetch_job("periodic-held-test")
        assert queued is not None
        queued.set_status("failed")  # what rq does to a run that timed out or lost its worker
        queue.remove(queued)
        launch(job)  # a run that is over gives way
        assert queue.job_ids == ["periodic-held-test"]
    finally:
        queue.empty()


def test_a_run_that_cannot_be_queued_is_logged_not_raised(make_app: MakeApp) -> None:
    app = make_app(REDIS_URL=refused_url("redis", "/0"))
    ran: list[str] = []
    table = (Periodic("first", 0, lambda: ran.append("first")), Periodic("second", 0, ran.clear))
    scheduler = PeriodicScheduler(app, exclusive=False, table=table)
    with app.app_context(), capture_logs() as logs:
        scheduler.launch_due()
    failures = [entry for entry in logs if entry.get("event", "").startswith("periodic job not")]
    assert [entry["job"] for entry in failures] == ["first", "second"]
    assert all(entry["log_level"] == "error" and "\n" not in entry["error"] for entry in failures)
    assert ran == []  # never run on the scheduler's thread instead


def test_the_scheduler_module_imports_no_feature() -> None:
    for module in (periodic_module, scheduler_module):
        source = Path(module.__file__ or "").read_text()
        for feature in ("forwarding", "voicemail", "ivr", "detector", "notices", "reminders"):
            assert f"import {feature}" not in source and f"from {feature}" not in source
            assert f"from .{feature}" not in source and f"from app.{feature}" not in source


@pytest.mark.skipif(not REDIS_URL, reason="the scheduler lock lives in Redis; set REDIS_URL")
def test_only_one_worker_schedules_the_periodic_jobs(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Contend for a lock of our own: no other test's scheduler can hold it.
    monkeypatch.setattr("app.core.scheduler.LOCK_KEY", "backline:scheduler:test")
    first, second = PeriodicScheduler(app, exclusive=True), PeriodicScheduler(app, exclusive=True)
    try:
        assert first._may_schedule() is True
        assert second._may_schedule() is False
        assert first._may_schedule() is True  # the holder keeps it
    finally:
        if first.lock is not None:
            first.lock.release()
