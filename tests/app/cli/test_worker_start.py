"""`backline worker` and the processes around it: started while Redis is down it waits for it,
then serves the queues; killed outright it leaves no rq scheduler behind; with --no-periodic it
schedules no periodic job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Worker

from tests.helpers import free_port, require_program, settings_env, wait_until
from tests.support.processes import children_of, gone, start_worker, stop
from tests.support.redis_faults import RedisServer


def start(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, start_new_session=True, **kwargs)


def test_a_worker_started_before_redis_waits_then_serves(
    settings: dict[str, Any], tmp_path: Path
) -> None:
    server = require_program("redis-server")
    port = free_port()
    env = _own_env(settings, f"redis://127.0.0.1:{port}/0", tmp_path)
    log = tmp_path / "worker.log"
    with log.open("ab") as output:
        command = [sys.executable, "-m", "app.cli", "worker"]
        worker = start(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "Redis is not answering; waiting for it" in log.read_text())
        time.sleep(1.5)
        assert worker.poll() is None, log.read_text()  # still waiting, not exited

        options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        redis_server = start([server, *options], stdout=subprocess.DEVNULL)
        try:
            client = redis.Redis(port=port)
            wait_until(lambda: Worker.all(connection=client), timeout=40)
            assert worker.poll() is None, log.read_text()
        finally:
            stop(worker)
            stop(redis_server)
    finally:
        stop(worker)


def test_a_worker_killed_outright_leaves_no_rq_scheduler_running(
    settings: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with RedisServer() as server:
        env = _own_env(settings, server.url(), tmp_path)
        worker = start_worker(env, log)
        try:
            scheduler = wait_until(lambda: children_of(worker.pid), timeout=60)  # rq's, forked
            assert isinstance(scheduler, list)
            os.kill(worker.pid, signal.SIGKILL)  # the worker alone, as the OOM killer does
            worker.wait(timeout=10)
            wait_until(lambda: all(gone(pid) for pid in scheduler), timeout=20)
        finally:
            stop(worker)  # its whole process group, orphans included


@pytest.mark.parametrize(
    ("options", "schedules"), [((), True), (("--no-periodic",), False)], ids=["default", "no"]
)
def test_only_a_worker_without_no_periodic_queues_the_periodic_jobs(
    settings: dict[str, Any], tmp_path: Path, options: tuple[str, ...], schedules: bool
) -> None:
    log = tmp_path / "worker.log"
    with RedisServer() as server:
        env = _own_env(settings, server.url(), tmp_path)
        command = [sys.executable, "-m", "app.cli", "worker", *options, "voicemail"]
        with log.open("ab") as output:
            worker = start(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(server.url())
        try:
            wait_until(lambda: Worker.all(connection=client), timeout=40)  # up, taking jobs
            time.sleep(3)  # the scheduler's first tick, a second in, queues every job due
            # This worker takes only `voicemail`: whatever was scheduled is still queued.
            queued = list(client.scan_iter("rq:job:periodic-*"))
            assert bool(queued) is schedules, log.read_text()
            assert bool(client.exists("backline:scheduler")) is schedules
        finally:
            stop(worker)


def _own_env(settings: dict[str, Any], redis_url: str, tmp_path: Path) -> dict[str, str]:
    """A worker's environment on this Redis and a database of the test's own, not the suite's."""
    return {
        **settings_env(settings),
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
    }
