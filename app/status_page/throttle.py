"""At most one fresh-link email per set of subscribers per RENEWAL_INTERVAL.

The mark lives in Redis when there is one, so every web process sees it; on the embedded
defaults, or while Redis is down, each process keeps its own marks. Redis being down lets
requests through (per process) rather than refusing them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import redis
import structlog
from flask import current_app

from app.core.extensions import redis_client
from app.core.local_marks import LocalMarks

log = structlog.get_logger(__name__)

RENEWAL_INTERVAL_S = 600
KEY_PREFIX = "backline:status-renewal:"
EXTENSION = "backline.status_renewals"


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
