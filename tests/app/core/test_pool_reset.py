"""A connection goes back to the pool with nothing open, however its user left it.

Failure modes: a transaction left open, one left failed by an error, and one left idle (nothing
to roll back). PostgreSQL only: SQLite's engine keeps the pool's own reset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine

from app.core.database import build_engine

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="the reset of pooled PostgreSQL connections needs DATABASE_URL (PostgreSQL)",
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = build_engine(os.environ["DATABASE_URL"])
    engine.pool = engine.pool.recreate()  # its own pool, sized as configured
    yield engine
    engine.dispose()


def _status_after(engine: Engine, leave: str) -> TransactionStatus:
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    assert isinstance(driver, psycopg.Connection)
    if leave == "open":
        driver.execute("SELECT 1")  # not autocommitted: a transaction is now open
    elif leave == "failed":
        with pytest.raises(psycopg.errors.DivisionByZero):
            driver.execute("SELECT 1 / 0")
    pooled.close()  # back to the pool
    again = engine.raw_connection()
    try:
        assert again.driver_connection is driver  # the same connection, reused
        return driver.info.transaction_status
    finally:
        again.close()


@pytest.mark.parametrize("leave", ["open", "failed", "idle"])
def test_a_returned_connection_has_nothing_open(engine: Engine, leave: str) -> None:
    assert _status_after(engine, leave) == TransactionStatus.IDLE
