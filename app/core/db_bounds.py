"""Client-side bounds on every wait for PostgreSQL.

PostgreSQL's statement_timeout is enforced by the server, so a hung server or a frozen network
path never trips it. Backline bounds each wait itself:
- connecting: libpq's connect_timeout (2 s, its minimum); the call path connects on a helper
  thread and gives up after CALL_PATH_CONNECT_S;
- a dead network: TCP keepalives, and tcp_user_timeout for data left unacknowledged;
- a silent server: every round trip (execute, commit, rollback) is watched by `app.db_watchdog`
  and ends with DatabaseTimeout past its bound: CALL_PATH_WAIT_S on the call path's engine,
  WEB_WAIT_S in any other request; jobs, the CLI and migrations wait as long as it takes (rq's
  job timeouts bound the jobs, and a migration may legitimately build an index for minutes);
- the pool's checkout: pool_timeout, set where the engines are built (app/database.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog
from flask import has_request_context
from sqlalchemy import Engine, event

from app.core.db_watchdog import WATCHDOG

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 2  # libpq's minimum
CALL_PATH_CONNECT_S = 1.0
CALL_PATH_WAIT_S = 1.0  # the 500 ms statement timeout, the round trip, and room for a busy host
WEB_WAIT_S = 10.0  # admin pages and the API: a request thread is not held for long either
TCP_BOUNDS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms
}

WaitBound = Callable[[], float | None]


class DatabaseTimeout(psycopg.OperationalError):
    """The database did not answer within Backline's own bound; the connection was given up."""


def timed_out(exc: BaseException) -> bool:
    """Whether `exc`, or the driver's error SQLAlchemy wrapped in it, is a DatabaseTimeout."""
    return isinstance(getattr(exc, "orig", exc), DatabaseTimeout)


def bound_waits(engine: Engine, call_path: bool) -> None:
    """Make `engine` connect and wait within the bounds of its role."""
    wait_bound: WaitBound = _call_path_bound if call_path else _web_bound

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> BoundedConnection:
        if call_path:
            connection = _connect_within(CALL_PATH_CONNECT_S, cargs, cparams)
        else:
            connection = BoundedConnection.connect(*cargs, **cparams)
        connection.wait_bound = wait_bound
        return connection


def _call_path_bound() -> float:
    return CALL_PATH_WAIT_S


def _web_bound() -> float | None:
    return WEB_WAIT_S if has_request_context() else None


def _unbounded() -> None:
    return None


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose round trips end within `wait_bound()` seconds (None: no bound)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = BoundedCursor
        self.wait_bound: WaitBound = _unbounded

    def commit(self) -> None:
        with watched(self):
            super().commit()

    def rollback(self) -> None:
        with watched(self):
            super().rollback()


class BoundedCursor(psycopg.Cursor[Any]):
    """A cursor whose statements end within its connection's bound."""

    __slots__ = ()

    def execute(self, *args: Any, **kwargs: Any) -> BoundedCursor:  # type: ignore[override]
        with watched(self.connection):
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> None:
        with watched(self.connection):
            super().executemany(*args, **kwargs)


@contextmanager
def watched(connection: psycopg.Connection[Any]) -> Iterator[None]:
    """Bound one round trip on `connection`: past the bound it is cut and closed."""
    seconds = getattr(connection, "wait_bound", _unbounded)()
    if seconds is None:
        yield
        return
    WATCHDOG.arm(connection, seconds)
    try:
        yield
    except psycopg.Error as exc:
        if WATCHDOG.disarm(connection):
            connection.close()
            log.warning("database did not answer; connection closed", bound_s=seconds)
            raise DatabaseTimeout(f"the database did not answer within {seconds:g} s") from exc
        raise
    finally:
        WATCHDOG.disarm(connection)


def _connect_within(seconds: float, cargs: Any, cparams: Any) -> BoundedConnection:
    """Connect on a helper thread and stop waiting after `seconds` (libpq's own bound is 2 s);
    a connection made too late is closed when it arrives."""
    future: Future[BoundedConnection] = Future()

    def attempt() -> None:
        try:
            future.set_result(BoundedConnection.connect(*cargs, **cparams))
        except BaseException as exc:  # handed to the waiting thread
            future.set_exception(exc)

    threading.Thread(target=attempt, name="backline-db-connect", daemon=True).start()
    try:
        return future.result(timeout=seconds)
    except TimeoutError:
        future.add_done_callback(_close_if_connected)
        raise DatabaseTimeout(f"no connection to the database within {seconds:g} s") from None


def _close_if_connected(future: Future[BoundedConnection]) -> None:
    if future.exception() is None:
        future.result().close()
