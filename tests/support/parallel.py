"""Each pytest-xdist worker gets a PostgreSQL database and a Redis database of its own.

`make test` runs the suite on several processes (pytest-xdist). Tests empty tables, flush
Redis keys and start `backline worker` processes, so two of them must never share a database:
worker `gwN` takes the database named in DATABASE_URL with `_gwN` appended (created when
missing) and the Redis database numbered N below the one in REDIS_URL. Its commits do not
wait for the disk (synchronous_commit off): a test database needs no durability, and on a busy
CI host a commit waiting for fsync can outlast the call path's one-second bound, sending a
test's voicemail to the pending store the suite's workers never replay.

The variables are rewritten in the environment before any test module reads them, so fixtures,
tests and the processes they start all agree. SQLite needs nothing: each worker's temporary
directory, where the file lives, is its own.
"""

from __future__ import annotations

import os
import re

from sqlalchemy.engine import make_url

from app.core.database import build_engine

WORKER_VARIABLE = "PYTEST_XDIST_WORKER"  # set by pytest-xdist in each worker: gw0, gw1…


def worker_number() -> int | None:
    """This process's pytest-xdist worker number, or None outside xdist."""
    name = os.environ.get(WORKER_VARIABLE)
    found = re.fullmatch(r"gw(\d+)", name or "")
    return int(found[1]) if found else None


def own_database_url(url: str, number: int) -> str:
    """The PostgreSQL URL of worker `number`'s own database, created if it does not exist yet."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return url
    own = parsed.set(database=f"{parsed.database}_gw{number}")
    engine = build_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (own.database,)
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
            connection.exec_driver_sql(
                f'ALTER DATABASE "{own.database}" SET synchronous_commit TO off'
            )
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


def own_redis_url(url: str, number: int) -> str:
    """The Redis URL of worker `number`'s own database: N below the one in `url`."""
    found = re.fullmatch(r"(.*?)/(\d+)", url)
    base, index = (found[1], int(found[2])) if found else (url.rstrip("/"), 0)
    own = index - number if index >= number else index + number
    if not 0 <= own < 16:
        raise ValueError(f"REDIS_URL {url!r} leaves no database of its own for worker {number}")
    return f"{base}/{own}"


def give_each_worker_its_databases() -> None:
    """Point DATABASE_URL and REDIS_URL at this xdist worker's own databases (no-op outside)."""
    number = worker_number()
    if number is None:
        return
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = own_database_url(os.environ["DATABASE_URL"], number)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = own_redis_url(os.environ["REDIS_URL"], number)
