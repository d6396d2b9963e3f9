"""What /metrics reads from Redis and from this process: queue depths, the entries waiting for
the database, and the periodic jobs' heartbeats."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from redis import Redis
from rq import Queue

from app.core.jobs import QUEUES, ThreadBackend
from app.core.periodic import HEARTBEATS_KEY
from app.resilience.pending import REDIS_KEY as PENDING_KEY

IN_PROCESS_QUEUE = "in-process"  # the embedded defaults' job thread: one queue for every job


@dataclass(frozen=True)
class RedisFigures:
    jobs: dict[tuple[str, str], int]  # (queue, state) -> jobs
    pending_entries: int
    heartbeats: dict[str, str]  # job -> ISO time of its last successful run


def read_redis(client: Redis) -> RedisFigures:
    """The rq queues and registries (read without rq's clean-up writes), the pending list and
    the heartbeats."""
    jobs: dict[tuple[str, str], int] = {}
    for name in QUEUES:
        queue = Queue(name, connection=client)
        jobs[(name, "queued")] = queue.count
        jobs[(name, "started")] = queue.started_job_registry.get_job_count(cleanup=False)
        jobs[(name, "scheduled")] = queue.scheduled_job_registry.get_job_count(cleanup=False)
        jobs[(name, "failed")] = queue.failed_job_registry.get_job_count(cleanup=False)
    stamps = client.hgetall(HEARTBEATS_KEY)
    return RedisFigures(
        jobs=jobs,
        pending_entries=int(client.llen(PENDING_KEY)),  # type: ignore[arg-type]
        heartbeats={_text(k): _text(v) for k, v in stamps.items()},  # type: ignore[union-attr]
    )


def in_process_jobs(backend: ThreadBackend) -> dict[tuple[str, str], int]:
    """Jobs waiting on this process's job thread (embedded defaults): due, later, running.

    ThreadBackend has no public count; its heap is copied in one step (atomic under the GIL)
    and only read.
    """
    entries = list(backend._pending)
    now = time.monotonic()
    due = sum(1 for entry in entries if entry[0] <= now)
    return {
        (IN_PROCESS_QUEUE, "queued"): due,
        (IN_PROCESS_QUEUE, "scheduled"): len(entries) - due,
        (IN_PROCESS_QUEUE, "started"): backend._running,
    }


def heartbeats_in_memory(app: Flask) -> dict[str, str]:
    """Heartbeats the periodic jobs of this process wrote (serve, or Redis unavailable)."""
    stamps: Mapping[str, str] = app.extensions.get("backline.heartbeats", {})
    return dict(stamps)


def latest_heartbeats(*sources: Mapping[str, str]) -> dict[str, float]:
    """Each job's latest heartbeat, as a Unix timestamp, across every source."""
    latest: dict[str, float] = {}
    for stamps in sources:
        for job, stamp in stamps.items():
            try:
                when = datetime.fromisoformat(stamp).timestamp()
            except ValueError:
                continue
            latest[job] = max(latest.get(job, when), when)
    return latest


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
