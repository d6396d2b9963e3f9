"""Paged lists for the voicemail and delivery pages: one page of rows and whether more follow."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.models import MAX_ID

T = TypeVar("T")
AnySelect = Select[*tuple[Any, ...]]  # a SELECT of any columns

PAGE_SIZE = 50
MAX_PAGE = 10_000  # deeper than anyone pages; keeps OFFSET bounded


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(args: Mapping[str, str], name: str = "page") -> int:
    """The page asked for: a whole number from 1 to MAX_PAGE, 1 for anything else."""
    number = _whole_number(args.get(name))
    return min(number, MAX_PAGE) if number else 1


def fetch_page(
    session: Session,
    query: AnySelect,
    number: int,
    row: Callable[[Any], T] = lambda r: r,
    size: int = PAGE_SIZE,
) -> Page[T]:
    """Rows of page `number` of the (ordered) query, fetching one more to see if another follows."""
    rows: Sequence[Any] = session.execute(query.limit(size + 1).offset((number - 1) * size)).all()
    return Page([row(r) for r in rows[:size]], number, len(rows) > size)


def parse_id(raw: str | None) -> int | None:
    """A database id typed into a filter, or None when it is not one."""
    number = _whole_number(raw)
    return number if number is not None and valid_id(number) else None


def valid_id(value: int) -> bool:
    """Whether an id from a URL could name a row (larger ones overflow the column)."""
    return 0 < value <= MAX_ID


def _whole_number(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    return None
