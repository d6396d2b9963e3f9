"""Jobs a webhook could not queue: kept in the pending store, queued once Redis answers.

A webhook never waits for a queue that failed a moment ago (app/redis_guard.py); its job is kept
like any other pending entry (in Redis's list if that answers, else in the storage backend) and
`replay_pending` queues it once Redis does. An entry is removed only after its job was queued,
so a crash in between queues it twice, which every job tolerates (they are idempotent). The
database row a job works on stays the record of truth: the sweepers queue whatever is left
unprocessed, so a job that could be kept nowhere is late, never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from app.core.extensions import jobs
from app.core.jobs import QueueUnavailable, job_name, job_named
from app.resilience.pending import NothingKept, handles, keep

log = structlog.get_logger(__name__)


def queue_or_keep(func: Callable[..., Any], *args: Any) -> None:
    """Queue func(*args), or keep it for `replay_pending` if the queue cannot be reached."""
    if jobs.enqueue(func, *args):
        return
    try:
        keep("job", {"job": job_name(func), "args": list(args)})
    except NothingKept as exc:
        log.error("job kept nowhere; a sweeper will queue it", job=func.__name__, error=str(exc))


@handles("job")
def queue_kept_job(payload: dict[str, Any]) -> None:
    """Queue a kept job; while the queue is still away, raise so the entry stays where it is."""
    func = job_named(payload["job"])
    if not jobs.enqueue(func, *payload["args"]):
        raise QueueUnavailable(f"{func.__name__} not queued: the queue is still unreachable")
