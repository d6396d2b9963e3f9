"""One call row written in one statement: the hot path of every webhook during an outage.

`INSERT … ON CONFLICT (call_sid) DO UPDATE` on its own autocommitted connection is a single
statement (no SELECT first, no BEGIN, no separate COMMIT), and as durable as the ORM's version:
it returns once the row is committed. On PostgreSQL it is plain SQL text, one per set of fields,
handed to the pooled driver connection as it is (app/core/autocommit.py): psycopg prepares it
on the server after a few uses, and neither SQLAlchemy's cache key walk nor its Connection
object runs per call (each cost more CPU than the statement itself). SQLite, the development database, takes SQLAlchemy's statement, whose types
store datetimes the way the ORM reads them back. See docs/benchmarks.md.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Executable, Table
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.core.autocommit import execute_autocommitted
from app.core.database import current_engine, insert_on_conflict
from app.core.db_bounds import timed_out
from app.models import Call, utcnow

log = structlog.get_logger(__name__)

CALLS: Table = Call.__table__  # type: ignore[assignment]
LINKS = ("subscriber_id", "outage_id")


def upsert_call(call_sid: str, fields: dict[str, Any], created_at: datetime | None = None) -> None:
    """Create the call row or update the given fields of it.

    `created_at` (default: now) is written only when the row is created: a webhook kept while
    the database was down gives the time the call came.
    A subscriber or outage deleted since the snapshot was taken must not cost the call its
    record: the row is then written without those links.
    """
    created_at = created_at or utcnow()
    try:
        _execute(call_sid, fields, created_at)
    except IntegrityError:
        linked = {name: fields[name] for name in LINKS if fields.get(name) is not None}
        if not linked:
            raise
        log.warning("call linked to a row that is gone; recorded without the link", **linked)
        _execute(call_sid, {k: v for k, v in fields.items() if k not in LINKS}, created_at)


@functools.cache
def _upsert(dialect: str, names: tuple[str, ...]) -> Executable:
    """The statement for one set of fields, built once (building `excluded` is not cheap)."""
    statement = insert_on_conflict(dialect, CALLS)
    if not names:
        return statement.on_conflict_do_nothing(index_elements=[CALLS.c.call_sid])
    return statement.on_conflict_do_update(
        index_elements=[CALLS.c.call_sid],
        set_={name: statement.excluded[name] for name in names},
    )


@functools.cache
def _postgres_upsert(names: tuple[str, ...]) -> str:
    """The same upsert as SQL text with psycopg's placeholders; `created_at` is set on insert."""
    unknown = set(names) - set(CALLS.c.keys())
    if unknown:
        raise ValueError(f"calls has no column {', '.join(sorted(unknown))}")
    columns = ("call_sid", "created_at", *names)
    values = ", ".join(f"%({name})s" for name in columns)
    insert = f"INSERT INTO calls ({', '.join(columns)}) VALUES ({values}) ON CONFLICT (call_sid)"
    if not names:
        return f"{insert} DO NOTHING"
    return f"{insert} DO UPDATE SET " + ", ".join(f"{name} = EXCLUDED.{name}" for name in names)


def _execute(call_sid: str, fields: dict[str, Any], created_at: datetime) -> None:
    """Run the upsert alone in autocommit mode: one statement, one round trip, one commit.

    The call path's pool does not ping connections before use, so a connection the server
    dropped (a database restart) fails here once; the upsert is safe to repeat, on a fresh one.
    One given up because the database did not answer in time is not retried: the caller has
    waited the bound once already.
    """
    engine = current_engine()
    names = tuple(sorted(fields))
    for attempt in (1, 2):
        try:
            values = {"call_sid": call_sid, "created_at": created_at, **fields}
            if engine.dialect.name == "postgresql":
                execute_autocommitted(engine, _postgres_upsert(names), values)
                return
            with engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                autocommit.execute(_upsert(engine.dialect.name, names), values)
            return
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated or timed_out(exc):
                raise
