"""The properties every fuzzed answer must have, and what the database may hold afterwards."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, select
from werkzeug.test import TestResponse

from app.core.extensions import db
from app.models import Base

INT4 = 2**31  # PostgreSQL `integer`
INT8 = 2**63  # PostgreSQL `bigint`


def assert_no_server_error(response: TestResponse, context: object = None) -> None:
    """Never a 5xx, never a traceback; a 4xx says what is wrong in a sentence."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (context, response.status_code, text[:2000])
    assert "Traceback" not in text, (context, text[:2000])
    if response.status_code >= 400:
        assert_clear_message(response, context)


def assert_clear_message(response: TestResponse, context: object = None) -> None:
    """An error answer carries a sentence: JSON `error`, or a short text or HTML page."""
    if response.is_json:
        message = (response.get_json(silent=True) or {}).get("error")
    else:
        message = response.get_data(as_text=True)
    assert isinstance(message, str), (context, response.status_code, response.data[:500])
    assert len(message.strip()) >= 10, (context, response.status_code, message)


def assert_rows_fit_their_columns() -> None:
    """What the requests wrote would also fit PostgreSQL's stricter columns.

    SQLite stores any length and any integer, so the fuzz runs on it would miss what PostgreSQL
    refuses with an error (a 500 on a webhook): strings over their column's length, NUL
    characters in text, integers beyond the column's range.
    """
    db.session.rollback()
    for table in Base.metadata.sorted_tables:
        checked = [c for c in table.columns if isinstance(c.type, String | Integer)]
        if not checked:
            continue
        for row in db.session.execute(select(*checked)):
            for column, value in zip(checked, row, strict=True):
                where = f"{table.name}.{column.name}"
                if isinstance(value, str):
                    assert "\x00" not in value, (where, value[:80])
                    length = getattr(column.type, "length", None)
                    assert length is None or len(value) <= length, (where, len(value), length)
                elif isinstance(value, int) and not isinstance(value, bool):
                    bound = INT8 if isinstance(column.type, BigInteger) else INT4
                    assert -bound <= value < bound, (where, value)
