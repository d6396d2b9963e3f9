"""A circuit breaker for the database on the call path.

After a connection failure or a timeout (the server's, or the client's own bound: see
app/db_bounds.py) the breaker opens: for the next few seconds webhooks do not wait for the
database at all and answer from the snapshot cache, keeping what must be written in the pending
store. Then the database is tried again: by a probe on a thread of its own, every cooldown until
it answers, when the breaker has one (the app's does), so that no caller waits for it and it
closes even without traffic; else by one request (half-open).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.db_bounds import timed_out

log = structlog.get_logger(__name__)
T = TypeVar("T")

# Failures that mean "the database is sick", as opposed to a bad query or a constraint.
OUTAGE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


class DatabaseUnavailable(RuntimeError):
    """The database is down, slow, or the breaker is open: answer without it."""


class CircuitBreaker:
    def __init__(self, cooldown: float = 10.0, probe: Callable[[], object] | None = None) -> None:
        self.cooldown = cooldown
        self._probe = probe
        self._open_until = 0.0  # 0: closed
        self._probing = False  # a request is the half-open probe
        self._prober: threading.Thread | None = None
        self._closed = threading.Event()  # set by close(): the probe thread stops
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True while calls skip the database."""
        if not self._open_until:
            return False
        return self._probe is not None or time.monotonic() < self._open_until

    def call(self, operation: Callable[[], T]) -> T:
        """Run a database operation, or raise DatabaseUnavailable without trying if open."""
        probing = self._admit()
        try:
            result = operation()
        except OUTAGE_ERRORS as exc:
            if not _connection_dropped(exc):
                self._trip(exc)
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
        finally:
            if probing:
                self._probing = False
        if probing:
            self._open_until = 0.0
        return result

    def close(self) -> None:
        """Stop probing for good: the engine behind this breaker is being let go."""
        self._closed.set()

    def _admit(self) -> bool:
        """Let the operation through (True if it is the half-open probe), or raise."""
        with self._lock:
            if not self._open_until:
                return False
            if self._probe is not None:
                self._ensure_prober()  # (a forked child has none)
                raise DatabaseUnavailable("the database circuit breaker is open")
            if time.monotonic() < self._open_until:
                raise DatabaseUnavailable("the database circuit breaker is open")
            if self._probing:
                raise DatabaseUnavailable("the database is being probed by another request")
            self._probing = True
            return True

    def _trip(self, exc: BaseException) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown
            if self._probe is not None:
                self._ensure_prober()
        log.error(
            "database unavailable; answering calls without it",
            cooldown_s=self.cooldown,
            error=type(exc).__name__,
            timed_out=timed_out(exc),
        )

    def _ensure_prober(self) -> None:
        if self._closed.is_set():
            return
        if self._prober is None or not self._prober.is_alive():
            self._prober = threading.Thread(
                target=self._recover, name="backline-db-probe", daemon=True
            )
            self._prober.start()

    def _recover(self) -> None:
        """Probe the database after each cooldown until it answers, then close the breaker."""
        assert self._probe is not None
        while not self._closed.wait(max(0.0, self._open_until - time.monotonic())):
            try:
                self._probe()
            except Exception as exc:  # whatever it is, the database cannot be used yet
                self._trip(exc)
                continue
            with self._lock:
                self._open_until, self._prober = 0.0, None
            log.info("database answers again; calls use it")
            return


def _connection_dropped(exc: BaseException) -> bool:
    """A pooled connection the server closed (a restart, an idle timeout): not a sick database.

    The pool has already discarded it and every connection as old; the caller keeps its write
    for replay, and the next request connects afresh (and trips the breaker if that fails).
    A connection given up because the database did not answer in time is a sick database.
    """
    return isinstance(exc, DBAPIError) and exc.connection_invalidated and not timed_out(exc)
