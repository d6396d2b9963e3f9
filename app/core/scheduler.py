"""Periodic jobs: run in-process by `serve`, or by exactly one `backline worker` (Redis lock).

Each run writes a heartbeat (Redis hash `backline:heartbeats`, or this process's memory on the
embedded defaults) so operators can see the jobs are alive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from flask import Flask
from redis import RedisError
from redis.lock import Lock

from app.core.circuit import OUTAGE_ERRORS, DatabaseUnavailable
from app.core.extensions import redis_client
from app.models import utcnow
from app.outages.detector import check_primary
from app.outages.notices.policy import release_overdue
from app.outages.notices.sms import pace_sms
from app.outages.notices.sms_delivery import import_sns_opt_outs
from app.outages.notices.sweeper import sweep_notices
from app.outages.reminders import remind_admins
from app.resilience.pending import replay_pending
from app.retention import purge_voicemails_periodically
from forwarding.sweeper import sweep_deliveries
from voicemail.reconcile import reconcile_recordings
from voicemail.sweeper import sweep_voicemails

log = structlog.get_logger(__name__)

HEARTBEATS_KEY = "backline:heartbeats"
LOCK_KEY = "backline:scheduler"
TICK_S = 1.0


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: float
    run: Callable[[], object]


PERIODIC_JOBS = (
    Periodic("replay-pending", 5, replay_pending),
    Periodic("sweep-voicemails", 60, sweep_voicemails),
    Periodic("sweep-deliveries", 60, sweep_deliveries),
    Periodic("reconcile-recordings", 300, reconcile_recordings),
    Periodic("detect-primary-outage", 15, check_primary),
    Periodic("remind-stale-outages", 60, remind_admins),
    Periodic("auto-notify-outages", 15, release_overdue),
    Periodic("pace-notice-sms", 5, pace_sms),
    Periodic("sweep-notices", 60, sweep_notices),
    Periodic("import-sns-opt-outs", 3600, import_sns_opt_outs),
    Periodic("purge-voicemails", 600, purge_voicemails_periodically),
)


class PeriodicRunner:
    """A daemon thread running PERIODIC_JOBS on their intervals inside the app."""

    def __init__(self, app: Flask, exclusive: bool) -> None:
        self.app = app
        self.exclusive = exclusive  # take the Redis lock first (several workers)
        self.last_run: dict[str, float] = {}
        self.lock: Lock | None = None
        self.thread = threading.Thread(target=self._loop, name="backline-periodic", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        while True:
            with self.app.app_context():
                if self._may_schedule():
                    self.run_due()
            time.sleep(TICK_S)

    def run_due(self) -> None:
        now = time.monotonic()
        for job in PERIODIC_JOBS:
            if now - self.last_run.get(job.name, -job.every_s) >= job.every_s:
                self.last_run[job.name] = now
                _run(job)

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
        except RedisError as exc:
            log.warning("scheduler lock unavailable", error=str(exc))
            return False


# A job that fails because a service is down says so in one line: during an outage of the
# database or Redis every job fails every round, and a traceback each time buries the log.
UNAVAILABLE = (DatabaseUnavailable, *OUTAGE_ERRORS, RedisError, ConnectionError, TimeoutError)


def _run(job: Periodic) -> None:
    try:
        job.run()
    except UNAVAILABLE as exc:
        reason = (str(exc).splitlines() or [""])[0]
        log.error("periodic job failed: a service is unavailable", job=job.name, error=reason)
        return
    except Exception:  # one failing job must not stop the others
        log.error("periodic job failed", job=job.name, exc_info=True)
        return
    _heartbeat(job.name)


def _heartbeat(name: str) -> None:
    from flask import current_app

    stamp = utcnow().isoformat()
    client = redis_client()
    if client is not None:
        try:
            client.hset(HEARTBEATS_KEY, name, stamp)
            return
        except RedisError:
            pass
    current_app.extensions.setdefault("backline.heartbeats", {})[name] = stamp
