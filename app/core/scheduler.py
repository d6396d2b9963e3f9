"""The periodic scheduler: it decides which periodic jobs are due and hands each run over; it never
runs one on its own thread, so no job waits for another.

- On Redis (`RqLaunch`), a run is an rq job `run_periodic(name)` on the queue the job's entry
  names (`periodic` or `periodic-slow`), under the job id `periodic-<name>`. rq's unique enqueue
  refuses it while the previous run is still queued or running: the same job never runs twice at
  once, and a slow one delays only itself. A run that cannot be queued (Redis down) is logged.
- On the embedded defaults (`ThreadLaunch`, `serve` without Redis), each run gets its own
  short-lived thread, unless the previous run of that job is still going.

Several processes may run a scheduler; with `exclusive` only the holder of the Redis lock
`backline:scheduler` hands runs over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Protocol

import redis
import structlog
from flask import Flask
from redis.lock import Lock
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from app.core.extensions import redis_client
from app.core.periodic import QUICK, SLOW, Periodic, run_once, run_periodic

log = structlog.get_logger(__name__)

LOCK_KEY = "backline:scheduler"
TICK_S = 1.0
JOB_ID_PREFIX = "periodic-"
# rq stops a run that takes longer than this; a run whose worker died counts as running for as
# long, then rq's maintenance fails it and the next one is queued.
TIMEOUT_S = {QUICK: 120, SLOW: 1800}
LIVE = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


class Launch(Protocol):
    def __call__(self, job: Periodic) -> None: ...


class RqLaunch:
    """Queue a run on rq, unless the previous run of the same job is queued or running."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def __call__(self, job: Periodic) -> None:
        try:
            if not self._enqueue(job):
                log.info("periodic job still queued or running; this run skipped", job=job.name)
        except redis.RedisError as exc:
            reason = (str(exc).splitlines() or [""])[0]
            log.error("periodic job not queued: Redis is unavailable", job=job.name, error=reason)

    def _enqueue(self, job: Periodic) -> bool:
        job_id = JOB_ID_PREFIX + job.name
        try:
            self._unique_enqueue(job, job_id)
            return True
        except DuplicateJobError:
            if self._is_live(job_id):
                return False
        # What holds the id is over (failed, stopped, timed out): it gives way to this run.
        Job(job_id, connection=self.connection).delete()
        try:
            self._unique_enqueue(job, job_id)
        except DuplicateJobError:
            return False
        return True

    def _unique_enqueue(self, job: Periodic, job_id: str) -> None:
        queue = Queue(job.queue, connection=self.connection)
        queue.enqueue(
            run_periodic,
            job.name,
            job_id=job_id,
            unique=True,
            job_timeout=TIMEOUT_S.get(job.queue, TIMEOUT_S[SLOW]),
            result_ttl=0,  # a finished run frees its id at once
            failure_ttl=3600,
        )

    def _is_live(self, job_id: str) -> bool:
        try:
            status = Job.fetch(job_id, connection=self.connection).get_status(refresh=False)
        except NoSuchJobError:
            return False
        return status in LIVE


class ThreadLaunch:
    """Run each due job on a thread of its own, one run of the same job at a time."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runs: dict[str, threading.Thread] = {}

    def __call__(self, job: Periodic) -> None:
        previous = self.runs.get(job.name)
        if previous is not None and previous.is_alive():
            log.info("periodic job still running; this run skipped", job=job.name)
            return
        run = threading.Thread(
            target=self._run, args=(job,), name=f"periodic-{job.name}", daemon=True
        )
        self.runs[job.name] = run
        run.start()

    def _run(self, job: Periodic) -> None:
        with self.app.app_context():
            structlog.contextvars.clear_contextvars()
            run_once(job)

    def join(self, timeout: float) -> None:
        """Wait for the runs started so far (tests, and a CLI that wants them done)."""
        deadline = time.monotonic() + timeout
        for run in list(self.runs.values()):
            run.join(max(0.0, deadline - time.monotonic()))


class PeriodicScheduler:
    """A daemon thread that hands every due periodic job of the app's table to its launcher."""

    def __init__(self, app: Flask, exclusive: bool, table: Iterable[Periodic] | None = None):
        self.app = app
        self.exclusive = exclusive  # take the Redis lock first (several workers)
        self.table = tuple(app.extensions["backline.periodic"] if table is None else table)
        connection = app.extensions.get("backline.redis")
        self.launch: Launch = RqLaunch(connection) if connection is not None else ThreadLaunch(app)
        self.last_run: dict[str, float] = {}
        self.lock: Lock | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="backline-periodic", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Hand nothing more over (runs already handed over go on)."""
        self.stopping.set()
        self.thread.join()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            with self.app.app_context():
                if self._may_schedule():
                    self.launch_due()
            self.stopping.wait(TICK_S)

    def launch_due(self) -> None:
        """Hand over every job whose interval has passed since it was last handed over."""
        now = time.monotonic()
        for job in self.table:
            if now - self.last_run.get(job.name, -job.every_s) >= job.every_s:
                self.last_run[job.name] = now
                self._launch(job)

    def _launch(self, job: Periodic) -> None:
        try:
            self.launch(job)
        except Exception:  # a bug in one hand-over must not stop the scheduler
            log.error("periodic job not handed over", job=job.name, exc_info=True)

    def _may_schedule(self) -> bool:
        if not self.exclusive:
            return True
        client = redis_client()
        if client is None:
            return True
        try:
            if self.lock is not None and self.lock.owned():
                self.lock.reacquire()
                return True
            ttl = self.app.config["BACKLINE_SCHEDULER_LOCK_SECONDS"]
            self.lock = client.lock(LOCK_KEY, timeout=ttl, blocking=False)
            return bool(self.lock.acquire(blocking=False))
        except redis.RedisError as exc:
            log.warning("scheduler lock unavailable", error=str(exc))
            return False
