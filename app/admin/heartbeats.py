"""The periodic jobs' heartbeats as the dashboard shows them: when each last ran, and whether
that is too long ago (more than three of its intervals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from flask import current_app
from redis import RedisError

from app.core.extensions import redis_client
from app.core.periodic import HEARTBEATS_KEY, periodic_jobs

log = structlog.get_logger(__name__)

STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class Heartbeat:
    name: str
    every_s: float
    last_run: datetime | None

    def is_stale(self, now: datetime) -> bool:
        """Never run, or not for more than three intervals."""
        if self.last_run is None:
            return True
        return now - self.last_run > timedelta(seconds=STALE_AFTER_INTERVALS * self.every_s)


def heartbeats() -> list[Heartbeat]:
    """Every periodic job with its last heartbeat, in the order the scheduler runs them."""
    stamps = _stamps()
    return [
        Heartbeat(job.name, job.every_s, _parse(stamps.get(job.name))) for job in periodic_jobs()
    ]


def _stamps() -> dict[str, str]:
    """Heartbeats from Redis (shared by the workers) and from this process's memory (serve)."""
    stamps: dict[str, str] = dict(current_app.extensions.get("backline.heartbeats", {}))
    client = redis_client()
    if client is None:
        return stamps
    try:
        stored = client.hgetall(HEARTBEATS_KEY)
    except RedisError as exc:
        log.warning("heartbeats unavailable", error=str(exc))
        return stamps
    for name, stamp in stored.items():  # type: ignore[union-attr]
        key = _text(name)
        stamps[key] = max(stamps.get(key, ""), _text(stamp))  # same ISO format: the later one
    return stamps


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None
