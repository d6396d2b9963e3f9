"""At most one fresh-link email per set of subscribers per RENEWAL_INTERVAL.

The mark lives in Redis when there is one, so every web process sees it; on the embedded
defaults, or while Redis is down, each process keeps its own marks. Redis being down lets
requests through (per process) rather than refusing them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence

import redis
import structlog
from flask import current_app

from app.extensions import redis_client

log = structlog.get_logger(__name__)

RENEWAL_INTERVAL_S = 600
KEY_PREFIX = "backline:status-renewal:"
EXTENSION = "backline.status_renewals"


class LocalMarks:
    """One process's marks: key -> when it may be used again (monotonic seconds)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._until) > 10_000:  # forget what has lapsed before it grows further
                self._until = {k: t for k, t in self._until.items() if t > now}
            if self._until.get(key, 0.0) > now:
                return False
            self._until[key] = now + seconds
            return True


def may_renew(subscriber_ids: Sequence[int]) -> bool:
    """Claim this subscriber set's renewal slot; False if a renewal went out recently."""
    digest = hashlib.sha256(",".join(map(str, sorted(subscriber_ids))).encode()).hexdigest()
    key = KEY_PREFIX + digest[:32]
    client = redis_client()
    if client is not None:
        try:
            return bool(client.set(key, b"1", nx=True, ex=RENEWAL_INTERVAL_S))
        except redis.RedisError as exc:
            log.warning("redis unavailable; throttling renewals in this process", error=str(exc))
    marks: LocalMarks = current_app.extensions[EXTENSION]
    return marks.claim(key, RENEWAL_INTERVAL_S)
