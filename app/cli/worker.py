"""`backline worker`: process queued jobs from Redis (the loop is in app/cli/worker_loop.py)."""

from __future__ import annotations

import click

from app.cli.choices import WORKER_QUEUES
from app.cli.context import with_appcontext


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option(
    "--no-periodic",
    "no_periodic",
    is_flag=True,
    help="Never schedule the periodic jobs here (another worker does, or none should run).",
)
@click.argument("queues", nargs=-1, type=click.Choice(WORKER_QUEUES))
def worker(burst: bool, no_periodic: bool, queues: tuple[str, ...]) -> None:
    """Process queued jobs from Redis: QUEUES, in that order (default: all of them).

    Every worker also schedules the periodic jobs while it holds the scheduler lock, unless
    started with --no-periodic; they run on the `periodic` and `periodic-slow` queues, so give
    those a worker of their own in production.
    """
    from flask import current_app

    from app.cli.worker_loop import run_worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "backline worker needs REDIS_URL. Without Redis, `backline serve` runs the jobs itself."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_worker(app, url, queues or WORKER_QUEUES, burst, schedule=not no_periodic)
