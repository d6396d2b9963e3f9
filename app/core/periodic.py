"""Periodic jobs: what one is, and how one run goes (its failure logged, its heartbeat written).

The table of periodic jobs is the composition root's (app/periodic_table.py, given to the app by
`create_app`); this module knows none of them. The scheduler (app/periodic_scheduler.py) decides
when each is due; a run happens in a worker (`run_periodic`, an rq job on the queue its entry
names) or on a thread of `serve` (embedded defaults), never on the scheduler's own thread.

Each run that succeeds writes a heartbeat (Redis hash `backline:heartbeats`, or this process's
memory on the embedded defaults) so operators can see the jobs are alive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from flask import Flask, current_app
from redis import RedisError

from app.core.circuit import OUTAGE_ERRORS, DatabaseUnavailable
from app.core.extensions import redis_client

log = structlog.get_logger(__name__)

HEARTBEATS_KEY = "backline:heartbeats"
QUICK = "periodic"  # jobs that take a moment: they must never wait behind a slow one
SLOW = "periodic-slow"  # jobs that may wait on a provider (SMS, SNS, Twilio, storage) for long
PERIODIC_QUEUES = (QUICK, SLOW)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: float
    run: Callable[[], object]
    queue: str = QUICK


def init_periodic(app: Flask, table: Iterable[Periodic]) -> None:
    """Give the app its table of periodic jobs (the composition root does, once)."""
    app.extensions["backline.periodic"] = tuple(table)


def periodic_jobs() -> tuple[Periodic, ...]:
    """The current app's periodic jobs, in the order the scheduler looks at them."""
    table: tuple[Periodic, ...] = current_app.extensions.get("backline.periodic", ())
    return table


def periodic_named(name: str) -> Periodic:
    """The current app's periodic job called `name` (KeyError if there is none)."""
    for periodic in periodic_jobs():
        if periodic.name == name:
            return periodic
    raise KeyError(name)


def run_periodic(name: str) -> None:
    """One run of the periodic job `name`, as an rq job: never raises, so rq never retries it
    (the next run is due soon anyway); the failure is logged."""
    run_once(periodic_named(name))


# A job that fails because a service is down says so in one line: during an outage of the
# database or Redis every job fails every round, and a traceback each time buries the log.
UNAVAILABLE = (DatabaseUnavailable, *OUTAGE_ERRORS, RedisError, ConnectionError, TimeoutError)


def run_once(job: Periodic) -> bool:
    """Run `job` once in the current app context; write its heartbeat if it succeeded."""
    try:
        job.run()
    except UNAVAILABLE as exc:
        reason = (str(exc).splitlines() or [""])[0]
        log.error("periodic job failed: a service is unavailable", job=job.name, error=reason)
        return False
    except Exception:  # one failing job must not stop the others
        log.error("periodic job failed", job=job.name, exc_info=True)
        return False
    _heartbeat(job.name)
    return True


def _heartbeat(name: str) -> None:
    stamp = datetime.now(UTC).isoformat()
    client = redis_client()
    if client is not None:
        try:
            client.hset(HEARTBEATS_KEY, name, stamp)
            return
        except RedisError:
            pass
    current_app.extensions.setdefault("backline.heartbeats", {})[name] = stamp
