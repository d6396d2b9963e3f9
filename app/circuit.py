"""A circuit breaker for the database on the call path.

After a connection failure or a timeout the breaker opens: for the next few seconds webhooks do
not wait for the database at all and answer from the snapshot cache, keeping what must be
written in the pending store. Then one request tries again (half-open).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = structlog.get_logger(__name__)
T = TypeVar("T")

# Failures that mean "the database is sick", as opposed to a bad query or a constraint.
OUTAGE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


class DatabaseUnavailable(RuntimeError):
    """The database is down, slow, or the breaker is open: answer without it."""


class CircuitBreaker:
    def __init__(self, cooldown: float = 10.0) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def call(self, operation: Callable[[], T]) -> T:
        """Run a database operation, or raise DatabaseUnavailable without trying if open."""
        self._admit()
        try:
            result = operation()
        except OUTAGE_ERRORS as exc:
            if not _connection_dropped(exc):
                self._trip(exc)
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
        finally:
            self._probing = False
        self._open_until = 0.0
        return result

    def _admit(self) -> None:
        with self._lock:
            if self.is_open:
                raise DatabaseUnavailable("the database circuit breaker is open")
            if self._open_until and self._probing:
                raise DatabaseUnavailable("the database is being probed by another request")
            self._probing = bool(self._open_until)

    def _trip(self, exc: BaseException) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown
        log.error(
            "database unavailable; answering calls without it",
            cooldown_s=self.cooldown,
            error=type(exc).__name__,
        )


def _connection_dropped(exc: BaseException) -> bool:
    """A pooled connection the server closed (a restart, an idle timeout): not a sick database.

    The pool has already discarded it and every connection as old; the caller keeps its write
    for replay, and the next request connects afresh (and trips the breaker if that fails).
    """
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
