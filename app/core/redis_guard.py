"""A Redis client that stops waiting for a Redis that hangs.

A Redis that refuses connections costs a request nothing, but one that accepts them and never
answers costs every round trip its socket timeout, and a call's lookups make several: `/ivr/voice`
would then outlast Twilio's 2 s and every caller would get the Fallback URL. After a round trip
times out or cannot connect, this client fails every round trip at once for COOLDOWN_S, exactly
as a Redis that is down does (callers already go on without Redis on a RedisError). Then one
round trip probes Redis while every other one still fails at once: a success closes the breaker,
a failure opens it for another COOLDOWN_S.

Every round trip goes through the breaker: plain commands (scripts and locks included) and
pipelines (rq enqueues through one), whether they execute at once or after a WATCH.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
import structlog
from redis.client import Pipeline

log = structlog.get_logger(__name__)

COOLDOWN_S = 10.0
FAILURES = (redis.ConnectionError, redis.TimeoutError)


class RedisSkipped(redis.ConnectionError):
    """Redis failed a moment ago, or another request is probing it: this was not sent."""


class RedisBreaker:
    """Closed, open for `cooldown_s` after a failure, then half-open with one probe at a time."""

    def __init__(self, cooldown_s: float = COOLDOWN_S) -> None:
        self.cooldown_s = cooldown_s
        self._open_until = 0.0  # 0: closed
        self._probing = False
        self._lock = threading.Lock()
        self._inside = threading.local()  # a round trip in progress on this thread

    @property
    def skipping(self) -> bool:
        """Whether round trips are being failed without trying Redis."""
        return time.monotonic() < self._open_until

    @contextmanager
    def round_trip(self) -> Iterator[None]:
        """Let one round trip through, or raise RedisSkipped without sending it."""
        if getattr(self._inside, "active", False):  # a pipeline loading its scripts
            yield
            return
        probe = self._admit()
        self._inside.active = True
        try:
            yield
        except FAILURES as exc:
            self._failed(exc, probe)
            raise
        except redis.WatchError as exc:  # redis-py turns a failure while watching into this
            if isinstance(exc.__context__, FAILURES):
                self._failed(exc.__context__, probe)
            else:
                self._answered(probe)
            raise
        except BaseException:
            self._release(probe)  # not Redis's doing (a job timeout, say): another may probe
            raise
        else:
            self._answered(probe)
        finally:
            self._inside.active = False

    def _admit(self) -> bool:
        """Admit this round trip; True if it is the probe of a half-open breaker."""
        with self._lock:
            if not self._open_until:
                return False
            if time.monotonic() < self._open_until:
                raise RedisSkipped(f"Redis failed less than {self.cooldown_s:g} s ago; not waiting")
            if self._probing:
                raise RedisSkipped("another request is finding out whether Redis answers again")
            self._probing = True
            return True

    def _failed(self, exc: BaseException, probe: bool) -> None:
        with self._lock:
            was_closed = not self._open_until
            self._open_until = time.monotonic() + self.cooldown_s
            if probe:
                self._probing = False
        if was_closed:
            log.error(
                "Redis did not answer; going without it for a while",
                cooldown_s=self.cooldown_s,
                error=type(exc).__name__,
            )

    def _answered(self, probe: bool) -> None:
        if not probe:
            return
        with self._lock:
            self._open_until = 0.0
            self._probing = False
        log.warning("Redis answers again")

    def _release(self, probe: bool) -> None:
        if probe:
            with self._lock:
                self._probing = False


class GuardedRedis(redis.Redis):
    """redis.Redis whose every round trip, pipelines included, goes through one RedisBreaker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = RedisBreaker()

    @property
    def skipping(self) -> bool:
        """Whether round trips are being failed without trying Redis."""
        return self.breaker.skipping

    def execute_command(self, *args: Any, **options: Any) -> Any:
        with self.breaker.round_trip():
            return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        pipe = GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipe.breaker = self.breaker
        return pipe


class GuardedPipeline(Pipeline):
    """A pipeline whose round trips (execute, and commands sent at once after WATCH) are guarded."""

    breaker: RedisBreaker

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if not self.command_stack and not self.watching:
            return []  # nothing to send
        with self.breaker.round_trip():
            return super().execute(raise_on_error)

    def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        with self.breaker.round_trip():
            return super().immediate_execute_command(*args, **options)
