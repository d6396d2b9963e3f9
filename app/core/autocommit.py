"""One SQL statement on its own autocommitted pooled connection, without SQLAlchemy's Connection.

The call path writes each call row with one statement (ivr/call_rows.py). Taken through
`engine.connect()` with an AUTOCOMMIT execution option, SQLAlchemy's Connection object, the
isolation level set and reset on every checkout and its execution context cost about as much CPU
as the driver's own work. Here the pooled driver connection runs the statement itself, and
errors come out as SQLAlchemy would raise them: the same exception classes, a dropped
connection marked `connection_invalidated` and every connection pooled before it retired, so
the circuit breaker and the callers' retries behave as they do with a Connection.
"""

from __future__ import annotations

from typing import Any, cast

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError


def execute_autocommitted(engine: Engine, statement: str, values: dict[str, Any]) -> None:
    """Run `statement` (psycopg's placeholders) with `values` on PostgreSQL, committed when it
    returns."""
    try:
        pooled = engine.raw_connection()
    except psycopg.Error as exc:
        raise _translated(engine, None, exc, statement, values) from exc
    try:
        driver = cast("psycopg.Connection[Any]", pooled.driver_connection)  # no runtime subscript
        driver.autocommit = True
        try:
            driver.execute(statement, values)
        finally:
            if not driver.closed:  # the pool's next user expects a transaction
                driver.autocommit = False
    except psycopg.Error as exc:
        raise _translated(engine, pooled, exc, statement, values) from exc
    finally:
        pooled.close()  # back to the pool (or away, if it was invalidated)


def _translated(
    engine: Engine, pooled: Any, exc: psycopg.Error, statement: str, values: dict[str, Any]
) -> DBAPIError:
    """SQLAlchemy's exception for the driver's `exc`; a dropped connection retires the pool's."""
    dbapi_connection = pooled.dbapi_connection if pooled is not None else None
    dropped = engine.dialect.is_disconnect(exc, dbapi_connection, None)  # type: ignore[arg-type]
    if dropped:
        if pooled is not None:
            pooled.invalidate(exc)
        engine.dispose(close=False)  # the others opened before it are likely gone too
    error = DBAPIError.instance(
        statement,
        values,
        exc,
        psycopg.Error,
        connection_invalidated=dropped,
        dialect=engine.dialect,
    )
    return cast(DBAPIError, error)  # a DBAPIError whenever the original is the driver's
