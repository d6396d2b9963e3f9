"""A Redis client that stops waiting for a Redis that hangs.

A Redis that refuses connections costs a request nothing, but one that accepts them and never
answers costs every command its socket timeout, and a call's lookups make several: `/ivr/voice`
would then outlast Twilio's 2 s and every caller would get the Fallback URL. After a command
times out or cannot connect, this client fails every command at once for COOLDOWN_S, exactly
as a Redis that is down does (callers already go on without Redis on a RedisError), then lets
the next command try again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
import structlog
from redis.client import Pipeline

log = structlog.get_logger(__name__)

COOLDOWN_S = 10.0


class RedisSkipped(redis.ConnectionError):
    """Redis failed a moment ago: this command was not sent."""


class GuardedRedis(redis.Redis):
    """redis.Redis with a circuit breaker around every command and pipeline."""

    cooldown_s = COOLDOWN_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open_until = 0.0
        self._lock = threading.Lock()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self._admit()
        try:
            return super().execute_command(*args, **options)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            self._trip(exc)
            raise

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        self._admit()
        return super().pipeline(transaction, shard_hint)

    @property
    def skipping(self) -> bool:
        """Whether commands are being failed without trying Redis."""
        return time.monotonic() < self._open_until

    def _admit(self) -> None:
        if self.skipping:
            raise RedisSkipped(f"Redis failed less than {self.cooldown_s:g} s ago; not waiting")

    def _trip(self, exc: Exception) -> None:
        if isinstance(exc, RedisSkipped):
            return
        with self._lock:
            already = self.skipping
            self._open_until = time.monotonic() + self.cooldown_s
        if not already:
            log.error(
                "Redis did not answer; going without it for a while",
                cooldown_s=self.cooldown_s,
                error=type(exc).__name__,
            )
