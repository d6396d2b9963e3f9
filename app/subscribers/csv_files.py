"""Subscriber CSV import and export.

The whole file is validated before anything is written: one bad row and nothing is imported.
Errors name the file's line (the header is line 1) and the column. Exported cells that a
spreadsheet would run as a formula are quoted, and the import drops that quote (app.csv_cells).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.phone import InvalidNumber, normalise
from app.models import Subscriber
from app.security.csv_cells import inert, restored
from app.subscribers.rules import (
    TEXT_LIMITS,
    backup_owners,
    email_problem,
    language_problem,
    length_problem,
    nul_problem,
    timezone_problem,
)

CSV_LIMIT = 16 * 1024 * 1024  # about 150,000 subscribers
COLUMNS = ("number", "name", "email", "plan", "region", "backup_number", "timezone", "language")
REQUIRED = ("number", "email")


@dataclass
class Row:
    line: int
    number: str
    emails: list[str]
    name: str | None = None
    plan: str | None = None
    region: str | None = None
    backup_number: str | None = None
    timezone: str | None = None
    language: str | None = None


@dataclass
class Validation:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _RowErrors(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages


def read_csv(
    text: TextIO, known_numbers: Iterable[str] = (), known_backups: Mapping[str, str] | None = None
) -> Validation:
    """Parse and validate a subscriber CSV.

    `known_numbers` are the numbers already in the database; `known_backups` maps each backup
    number in the database to the number of the subscriber it belongs to.
    """
    result = Validation()
    reader = csv.reader(text)
    header = _header(reader, result)
    if header is None:
        return result
    seen: dict[str, int] = {}
    try:
        for values, line in _records(reader):
            _add_row(result, seen, values, line, header)
    except ValueError as exc:  # the CSV itself is broken (stray NUL, field too large, ...)
        result.errors.append(str(exc))
    _check_backups(result, header, set(seen) | set(known_numbers))
    _check_not_a_backup(result, header, known_backups or {}, set(seen))
    return result


def _add_row(
    result: Validation,
    seen: dict[str, int],
    values: list[str],
    line: int,
    header: list[str],
) -> None:
    try:
        row = _row(values, line, header)
    except _RowErrors as problems:
        result.errors.extend(problems.messages)
        return
    if row.number in seen:
        result.errors.append(
            f"line {line}, column {_position(header, 'number')}: "
            f"number {row.number} repeats line {seen[row.number]}"
        )
        return
    seen[row.number] = line
    result.rows.append(row)


def _header(reader: Iterator[list[str]], result: Validation) -> list[str] | None:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        result.errors.append("line 1: the file is empty; expected a header row")
        return None
    except csv.Error as exc:
        result.errors.append(f"line 1: {exc}")
        return None
    for index, name in enumerate(header, start=1):
        if name not in COLUMNS:
            result.errors.append(
                f"line 1, column {index}: unknown column {name!r} (expected {', '.join(COLUMNS)})"
            )
    for name in REQUIRED:
        if name not in header:
            result.errors.append(f"line 1: required column {name!r} is missing")
    for name in {n for n in header if header.count(n) > 1}:
        result.errors.append(f"line 1: column {name!r} appears more than once")
    return None if result.errors else header


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[list[str], int]]:
    line = 1
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(f"line {start}: {exc}") from exc
        line = reader.line_num  # type: ignore[attr-defined]
        if values and any(v.strip() for v in values):
            yield values, start


def _position(header: list[str], name: str) -> str:
    return f"{header.index(name) + 1} ({name})"


def _row(values: list[str], line: int, header: list[str]) -> Row:
    if len(values) != len(header):
        column = min(len(values), len(header)) + 1  # the first missing or extra field
        raise _RowErrors(
            [f"line {line}, column {column}: expected {len(header)} fields, found {len(values)}"]
        )
    cells = {name: restored(v.strip()).strip() for name, v in zip(header, values, strict=True)}
    errors: list[str] = []

    def fail(column: str, message: str) -> None:
        errors.append(f"line {line}, column {_position(header, column)}: {message}")

    if _nul_cells(cells, fail):
        raise _RowErrors(errors)
    number = _number(cells.get("number", ""), lambda m: fail("number", m))
    emails = _emails(cells.get("email", ""), lambda m: fail("email", m))
    backup = None
    if cells.get("backup_number"):
        backup = _number(cells["backup_number"], lambda m: fail("backup_number", m))
    for name in TEXT_LIMITS:
        if problem := length_problem(name, cells.get(name, "")):
            fail(name, problem)
    timezone = cells.get("timezone") or None
    if timezone and (problem := timezone_problem(timezone)):
        fail("timezone", problem)
    language = (cells.get("language") or "").lower() or None
    if language and (problem := language_problem(language)):
        fail("language", problem)
    if errors:
        raise _RowErrors(errors)
    assert number is not None
    return Row(
        line=line,
        number=number,
        emails=emails,
        name=cells.get("name") or None,
        plan=cells.get("plan") or None,
        region=cells.get("region") or None,
        backup_number=backup,
        timezone=timezone,
        language=language,
    )


def _nul_cells(cells: dict[str, str], fail: Callable[[str, str], None]) -> bool:
    """Report cells holding NUL characters (no database stores them); True if any did."""
    found = False
    for name, value in cells.items():
        if problem := nul_problem(value):
            fail(name, problem)
            found = True
    return found


def _number(raw: str, fail: Callable[[str], None]) -> str | None:
    try:
        return normalise(raw)
    except InvalidNumber as exc:
        fail(str(exc))
        return None


def _emails(raw: str, fail: Callable[[str], None]) -> list[str]:
    addresses = [a.strip() for a in raw.split(";") if a.strip()]
    if not addresses:
        fail("an email address is required")
    for address in addresses:
        if problem := email_problem(address):
            fail(problem)
    return list(dict.fromkeys(addresses))


def _check_backups(result: Validation, header: list[str], numbers: set[str]) -> None:
    for row in result.rows:
        if row.backup_number and row.backup_number in numbers:
            result.errors.append(
                f"line {row.line}, column {_position(header, 'backup_number')}: "
                f"{row.backup_number} is a subscriber's own number; a backup must reach them elsewhere"
            )


def _check_not_a_backup(
    result: Validation, header: list[str], backups: Mapping[str, str], in_file: set[str]
) -> None:
    for row in result.rows:
        owner = backups.get(row.number)
        if owner and owner not in in_file:  # an owner in the file gets its backup from the file
            result.errors.append(
                f"line {row.line}, column {_position(header, 'number')}: {row.number} is the "
                f"backup number of subscriber {owner}; a subscriber's number cannot be a backup"
            )


def read_csv_for(session: Session, text: TextIO) -> Validation:
    """Validate a subscriber CSV against the subscribers already in the database."""
    known = session.scalars(select(Subscriber.number)).all()
    return read_csv(text, known, backup_owners(session))


def import_rows(session: Session, rows: list[Row]) -> tuple[int, int]:
    """Insert new subscribers and update existing ones by number; return (created, updated)."""
    existing = {
        s.number: s
        for s in session.scalars(
            select(Subscriber).where(Subscriber.number.in_([r.number for r in rows]))
        )
    }
    created = updated = 0
    for row in rows:
        subscriber = existing.get(row.number)
        if subscriber is None:
            subscriber = Subscriber(number=row.number)
            session.add(subscriber)
            created += 1
        else:
            updated += 1
        subscriber.emails = row.emails
        for name in ("name", "plan", "region", "backup_number", "timezone", "language"):
            setattr(subscriber, name, getattr(row, name))
    session.commit()
    return created, updated


def export_csv(subscribers: Iterable[Subscriber]) -> str:
    """The subscribers as CSV in the import format, with no cell a spreadsheet would run."""
    out = io.StringIO()
    # CRLF as RFC 4180 has it: the writer then quotes every cell holding a CR as well as an LF.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in subscribers:
        cells = [
            s.number,
            s.name or "",
            ";".join(s.emails),
            s.plan or "",
            s.region or "",
            s.backup_number or "",
            s.timezone or "",
            s.language or "",
        ]
        writer.writerow([inert(cell) for cell in cells])
    return out.getvalue()
