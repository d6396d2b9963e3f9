"""The app's state in the tests: emptying it between tests, waiting for its background work,
and letting go of its connections (`built_app` builds one that lets go when its block ends)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.core.extensions import db, jobs, redis_client
from app.core.jobs import QUEUES
from app.core.periodic import HEARTBEATS_KEY
from app.core.scheduler import RqLaunch
from app.models import Base, Notice
from app.periodic_table import PERIODIC_JOBS
from app.resilience.alert_gate import KEY_PREFIX as ALERT_GATE_PREFIX
from app.resilience.pending import DEAD_REDIS_KEY as DEAD_PENDING_KEY
from app.resilience.pending import REDIS_KEY as PENDING_KEY
from app.security.limits import REDIS_KEY_PREFIX as LIMITS_KEY_PREFIX
from tests.helpers import wait_until

PACE_SMS = next(job for job in PERIODIC_JOBS if job.name == "pace-notice-sms")


def settle(timeout: float = 30.0) -> bool:
    """Wait until the queue is idle and no notice is still being fanned out or sent.

    Queue idleness alone can miss a job a real worker has just popped; the notices' own states
    cannot. Returns True (for `assert settle()`), and leaves the session showing what the
    worker wrote.
    """
    assert jobs.wait_idle(timeout)

    def notices_settled() -> bool:
        db.session.rollback()
        db.session.expire_all()
        busy = (
            select(func.count()).select_from(Notice).where(Notice.state.in_(("queued", "sending")))
        )
        if not db.session.scalar(busy):
            return True
        pace_sms_on_the_worker()
        return False

    wait_until(notices_settled, timeout)
    assert jobs.wait_idle(timeout)
    db.session.expire_all()
    return True


def pace_sms_on_the_worker() -> None:
    """Queue a run of `pace-notice-sms` for the suite's worker, as the scheduler would.

    The suite's worker schedules no periodic job (its runs would race every test for its rows),
    so a notice that texts someone waits for this. A run already queued or running is left to
    finish. Without Redis the notice jobs run in the test's process, which sends no SMS.
    """
    connection = current_app.extensions.get("backline.redis")
    if connection is not None:
        RqLaunch(connection)(PACE_SMS)


def dispose_engines(app: Flask) -> None:
    """Close an app's database connections now: a suite makes hundreds of apps, and
    PostgreSQL allows only so many clients. Its circuit breaker stops probing too: a test's
    database behind a proxy that is gone would be probed for the rest of the session."""
    app.extensions["backline.breaker"].close()
    for name in ("backline.db", "backline.db.calls"):
        app.extensions[name].dispose()


@contextmanager
def built_app(settings: dict[str, Any]) -> Iterator[Flask]:
    """An app built from these settings, its database connections closed when the block ends."""
    made = create_app(settings)
    try:
        yield made
    finally:
        dispose_engines(made)


def empty_redis_state() -> None:
    """Forget what earlier tests left in Redis: pending entries, heartbeats, throttles, limits."""
    client = redis_client()
    if client is not None:
        client.delete(PENDING_KEY, DEAD_PENDING_KEY, HEARTBEATS_KEY)
        stale = list(client.scan_iter("backline:status-renewal:*"))  # throttle marks
        stale += client.scan_iter(f"{ALERT_GATE_PREFIX}*")  # admin alerts already sent
        stale += client.scan_iter(f"{LIMITS_KEY_PREFIX}:*")  # rate limit counters
        if stale:
            client.delete(*stale)


def forget_queued_jobs() -> None:
    """Drop the jobs an earlier test left queued or scheduled (a retry due in 30 s, say).

    Ids restart with every test, so such a job would otherwise run on the next test's rows:
    an earlier test's voicemail email sent for this test's voicemail 1.
    """
    connection = current_app.extensions.get("backline.redis")
    if connection is None:
        return
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        queue.empty()
        for registry in (queue.scheduled_job_registry, queue.deferred_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)


def empty_tables(attempts: int = 5) -> None:
    """Empty every table and restart the ids (tests may expect outage 1).

    DELETE, not TRUNCATE: on these nearly empty tables it takes a few milliseconds where
    TRUNCATE takes over 100, and it takes no lock the worker's periodic jobs could deadlock on.
    """
    session = db.session()
    for attempt in range(attempts):
        try:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                session.execute(
                    text(
                        "SELECT setval(c.oid, 1, false) FROM pg_class c "
                        "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                    )
                )
            session.commit()  # SQLite reuses ids of deleted rows by itself
            return
        except OperationalError:  # a deadlock with a periodic job of the worker
            session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)
