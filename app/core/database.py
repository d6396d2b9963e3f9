"""The database handle: one engine per app, one session per app context.

Creating the engine connects to nothing; the first query does. That is what lets `create_app()`
and `serve` start while the database is unreachable.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import structlog
from flask import Flask, current_app, g, has_request_context
from flask.globals import app_ctx
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.core.circuit import OUTAGE_ERRORS, CircuitBreaker, DatabaseUnavailable
from app.core.db_bounds import CALL_PATH_WAIT_S, CONNECT_TIMEOUT_S, TCP_BOUNDS, bound_waits

T = TypeVar("T")
log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
CALL_PATH_STATEMENT_TIMEOUT_MS = 500  # a webhook must never wait longer than this on a query
POOL_TIMEOUT_S = 10.0  # waiting for a pooled connection outside the call path


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def build_engine(url: str, statement_timeout_ms: int | None = None) -> Engine:
    """Create an engine tuned for the backend; it does not connect yet.

    `statement_timeout_ms` makes the call path's engine: every statement bounded by the server
    and every wait by the client (see app/db_bounds.py), and no ping before each checkout,
    which would be a second round trip per webhook. A connection the server dropped is
    noticed when it is used instead (see CircuitBreaker and ivr/call_rows.py).
    """
    url = normalise_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    call_path = bool(statement_timeout_ms)
    connect_args: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "backline-calls" if call_path else "backline",
        **TCP_BOUNDS,
    }
    if call_path:
        timeout = f"{statement_timeout_ms}ms"
        connect_args["options"] = f"-c statement_timeout={timeout} -c lock_timeout={timeout}"
    engine = create_engine(
        url,
        pool_pre_ping=not call_path,
        pool_timeout=CALL_PATH_WAIT_S if call_path else POOL_TIMEOUT_S,
        pool_reset_on_return=None,  # _roll_back_what_is_open does it, more cheaply
        connect_args=connect_args,
    )
    event.listen(engine, "reset", _roll_back_what_is_open)
    bound_waits(engine, call_path)
    return engine


def _roll_back_what_is_open(dbapi_connection: Any, _record: Any, reset: Any) -> None:
    """A connection goes back to the pool with nothing open: roll back what a user left open.

    The pool's own reset rolls back every connection returned, and the driver takes its lock
    and steps through a generator to find there is nothing to do: a twelfth of a webhook's CPU
    when the call row went in on an autocommitted connection (app/core/autocommit.py), which
    leaves none. This asks the connection's state, which costs nothing, and rolls back only a
    transaction still open (or failed).
    """
    if reset.terminate_only:
        return  # the connection is being closed; closing ends its transaction
    if dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
        dbapi_connection.rollback()


def ping(engine: Engine) -> None:
    """One `SELECT 1`: raises unless the database answers (within the engine's bounds)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def insert_on_conflict(dialect: str, table: Any) -> Any:
    """An INSERT for `table` that can take ON CONFLICT clauses: PostgreSQL's or SQLite's
    (the two share the syntax and SQLAlchemy's API for it; the generic insert has neither)."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(table)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


# A forked child (rq's scheduler, a work horse) must open its own connections, never use the
# parent's. Weak references: an app that is gone must not keep its pool open.
_LIVE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    for engine in list(_LIVE_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def current_engine() -> Engine:
    """The current app's engine for this context: the bounded one inside webhooks."""
    name = "backline.db.calls" if has_request_context() and g.get("call_path") else "backline.db"
    engine: Engine = current_app.extensions[name]
    return engine


class _AppSession(Session):
    """A session that talks to `current_engine()`."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        return current_engine()


class Database:
    """Flask extension holding the engine and a session scoped to the app context."""

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=_AppSession, expire_on_commit=False), scopefunc=_app_context_id
        )

    def init_app(self, app: Flask) -> None:
        engine = build_engine(app.config["DATABASE_URL"])
        app.extensions["backline.db"] = engine
        app.extensions["backline.db.calls"] = (
            engine
            if engine.dialect.name == "sqlite"
            else build_engine(app.config["DATABASE_URL"], CALL_PATH_STATEMENT_TIMEOUT_MS)
        )
        app.extensions["backline.breaker"] = CircuitBreaker(
            probe=lambda: ping(app.extensions["backline.db.calls"])
        )
        app.teardown_appcontext(self._remove_session)
        _LIVE_ENGINES.update({engine, app.extensions["backline.db.calls"]})

    def guarded(self, operation: Callable[[], T]) -> T:
        """Run a call-path database operation through the circuit breaker.

        Raises DatabaseUnavailable (after giving up the session's connection) when the database
        is down, does not answer within the call path's bounds, or did not a moment ago.
        """
        breaker: CircuitBreaker = current_app.extensions["backline.breaker"]
        try:
            return breaker.call(operation)
        except DatabaseUnavailable:
            self._discard_session()
            raise

    def _discard_session(self) -> None:
        """Drop the session and its connection without a round trip: the database may not answer
        one, and a rollback would make the caller wait for its bound a second time."""
        with contextlib.suppress(*OUTAGE_ERRORS):
            self.session().invalidate()
        self.session.remove()

    @property
    def engine(self) -> Engine:
        engine: Engine = current_app.extensions["backline.db"]
        return engine

    def _remove_session(self, _exc: BaseException | None) -> None:
        """End the context's session; a database that stopped answering costs its bound here,
        never an error once the response is made."""
        try:
            self.session.remove()
        except OUTAGE_ERRORS as exc:
            log.warning("session ended without the database", error=str(exc).splitlines()[0])
            self.session.registry.clear()
