"""Cells that spreadsheets would run as formulas, made inert on export and read back on import.

Following OWASP's CSV-injection advice, a cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a single quote in front, which spreadsheets show as text and
never evaluate. A cell that already starts with quotes before one of those characters gets one
more, so that reading back (dropping exactly one quote) returns every value as it was.

E.164 numbers (`+` and digits only) are written as they are: they cannot hold a formula, and a
quote would make them something other than a phone number to every other tool.
"""

from __future__ import annotations

import re

FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def inert(cell: str) -> str:
    """The cell as it is safe to write into a CSV a person may open in a spreadsheet."""
    if FORMULA_START.match(cell) and not E164.fullmatch(cell):
        return "'" + cell
    return cell


def restored(cell: str) -> str:
    """The value an `inert` cell was made from (cells it would not touch come back as they are)."""
    return cell[1:] if QUOTED_FORMULA.match(cell) else cell
