"""The loop `backline worker` runs: an rq worker inside the app, one app context per job.

It outlives Redis. rq's work loop ends when Redis goes away under it (a connection error while it
finishes a job is "an unhandled exception" to rq); the worker then waits for Redis as it does at
start-up and starts a fresh rq worker on it. A job Redis lost meanwhile (a restart without
persistence empties the queues) is found again from the database by the sweepers, which queue
only what is not done yet: every voicemail and notice still goes out, once.
"""

from __future__ import annotations

import contextlib
import gc
import signal
import threading
import time
from typing import Any

import redis
import structlog
from flask import Flask
from rq import Queue, SimpleWorker

from app.cli.worker_children import forked_children_die_with_their_parent
from app.core.jobs import redis_connection
from app.core.scheduler import PeriodicScheduler

log = structlog.get_logger(__name__)

MAX_WAIT_S = 30.0  # between tries while Redis is unreachable
# How often rq cleans its registries and, if no worker runs its scheduler (the one that ran it
# died), starts one here: rq's default is 10 minutes, for which delayed retries would wait.
MAINTENANCE_INTERVAL_S = 60


class AppWorker(SimpleWorker):
    """Runs each job in its own app context, so every job gets a fresh database session."""

    app: Flask
    stop_asked = False  # SIGTERM or SIGINT: stop for good, do not wait for Redis

    def perform_job(self, *args: Any, **kwargs: Any) -> Any:
        with self.app.app_context():
            structlog.contextvars.clear_contextvars()
            return super().perform_job(*args, **kwargs)

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def teardown(self) -> None:
        """rq's teardown; the pubsub thread is let go even when Redis is gone."""
        try:
            super().teardown()
        except redis.RedisError:
            self.unsubscribe()  # rq's teardown stopped before it
            raise

    def unsubscribe(self) -> None:
        """Leave rq's command channel without waiting for its listening thread.

        That thread can sit up to a minute (rq's sleep time) in a read before it sees it should
        stop, and redis-py's `stop()` waits for it: a SIGTERM then took up to a minute. It is a
        daemon thread, and closes its connection when it ends.
        """
        thread, self.pubsub_thread = self.pubsub_thread, None
        if thread is None:
            return
        log.info("leaving rq's command channel", channel=self.pubsub_channel_name)
        with contextlib.suppress(redis.RedisError):
            self.pubsub.unsubscribe()
        threading.Thread(target=thread.stop, name="rq-pubsub-stop", daemon=True).start()


def run_worker(
    app: Flask, url: str, queues: tuple[str, ...], burst: bool, schedule: bool = True
) -> None:
    """Work the queues, in that order, until asked to stop (or, with `burst`, until empty).

    With `schedule`, the worker also competes for the lock that lets one process schedule the
    periodic jobs.
    """
    forked_children_die_with_their_parent()  # rq's scheduler must not outlive a killed worker
    gc.collect()
    gc.freeze()  # the app and its modules live as long as the worker: no collection walks them
    _wait_for_redis(url)
    if schedule:
        PeriodicScheduler(app, exclusive=True).start()
    while not _work(app, url, queues, burst):
        # No job runs now: a stop signal may end the process at once (rq's handlers are gone).
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        structlog.contextvars.clear_contextvars()  # the interrupted job's ids
        log.error(
            "rq stopped taking jobs unasked (Redis went away?); starting again once it answers"
        )
        time.sleep(1.0)  # whatever stopped it, never a busy loop
        _wait_for_redis(url)


def _work(app: Flask, url: str, names: tuple[str, ...], burst: bool) -> bool:
    """Run an rq worker until it stops: True if as asked, False if unasked (Redis failed it)."""
    connection = redis_connection(url, socket_timeout=None)
    queues = [Queue(name, connection=connection) for name in names]
    rq_worker = AppWorker(
        queues, connection=connection, maintenance_interval=MAINTENANCE_INTERVAL_S
    )
    rq_worker.app = app
    try:
        rq_worker.work(burst=burst, with_scheduler=True)
    except redis.RedisError as exc:  # rq's teardown could not reach Redis either
        log.warning("rq worker could not shut down cleanly", error=str(exc))
        return rq_worker.stop_asked
    finally:
        connection.close()
    return burst or rq_worker.stop_asked


def _wait_for_redis(url: str) -> None:
    """Go on only once Redis answers, trying again after 1, 2, 4 … 30 s.

    Exiting instead would leave the process manager to restart it, and some (Heroku among them)
    wait longer and longer between restarts of a process that keeps crashing: the worker would
    then come back minutes after Redis did.
    """
    probe = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    delay = 1.0
    while True:
        try:
            probe.ping()
            break
        except redis.RedisError as exc:
            log.warning("Redis is not answering; waiting for it", retry_in_s=delay, error=str(exc))
            time.sleep(delay)
            delay = min(delay * 2, MAX_WAIT_S)
    probe.close()
