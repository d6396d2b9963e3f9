"""`backline worker`: an rq worker inside the app, one app context per job."""

from __future__ import annotations

import time
from typing import Any

import click
import redis
import structlog
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import Queue, SimpleWorker

from app.jobs import QUEUES, redis_connection
from app.periodic import PeriodicRunner

log = structlog.get_logger(__name__)

MAX_WAIT_S = 30.0  # between tries while Redis is unreachable at start-up


class AppWorker(SimpleWorker):
    """Runs each job in its own app context, so every job gets a fresh database session."""

    app: Flask

    def perform_job(self, *args: Any, **kwargs: Any) -> Any:
        with self.app.app_context():
            structlog.contextvars.clear_contextvars()
            return super().perform_job(*args, **kwargs)


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
def worker(burst: bool) -> None:
    """Process queued jobs (voicemails, emails) from Redis."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "backline worker needs REDIS_URL. Without Redis, `backline serve` runs the jobs itself."
        )
    _wait_for_redis(url)
    connection = redis_connection(url, socket_timeout=None)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    rq_worker = AppWorker(queues, connection=connection)
    rq_worker.app = app
    PeriodicRunner(app, exclusive=True).start()
    rq_worker.work(burst=burst, with_scheduler=True)


def _wait_for_redis(url: str) -> None:
    """Start only once Redis answers, trying again after 1, 2, 4 … 30 s.

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
