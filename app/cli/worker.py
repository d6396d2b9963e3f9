"""`backline worker`: an rq worker inside the app, one app context per job."""

from __future__ import annotations

from typing import Any

import click
import structlog
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import Queue, SimpleWorker

from app.jobs import QUEUES, redis_connection
from app.periodic import PeriodicRunner


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
    connection = redis_connection(url, socket_timeout=None)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    rq_worker = AppWorker(queues, connection=connection)
    rq_worker.app = app
    PeriodicRunner(app, exclusive=True).start()
    rq_worker.work(burst=burst, with_scheduler=True)
