"""How notices write times, durations and lists of numbers, in the recipient's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from app.outages.notices.wording import written_time

SMS_NUMBERS_SHOWN = 2
AND_MORE = {"en": "and {} more", "es": "y {} más", "fr": "et {} autres"}


def short_list(numbers: Sequence[str], language: str, shown: int = SMS_NUMBERS_SHOWN) -> str:
    """The first numbers and how many more ("+1 415-555-0100 and 3 more")."""
    listed = ", ".join(numbers[:shown])
    more = len(numbers) - shown
    return f"{listed} {AND_MORE[language].format(more)}" if more > 0 else listed


def reader_zone(name: str | None) -> ZoneInfo:
    """The recipient's zone, else BACKLINE_DEFAULT_TIMEZONE, else UTC."""
    for candidate in (name, current_app.config["BACKLINE_DEFAULT_TIMEZONE"], "UTC"):
        try:
            return ZoneInfo(candidate or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def moment(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A stored ISO 8601 time in this zone."""
    return datetime.fromisoformat(value).astimezone(zone) if value else None


def when(at: datetime | None, language: str) -> str | None:
    """A time as notices write it in this language, with its zone's abbreviation."""
    return written_time(at, language) if at else None


def lasted(started: datetime | None, resolved: datetime | None) -> str | None:
    """How long a disruption lasted, to the minute: "1 h 5 min"."""
    if started is None or resolved is None:
        return None
    minutes = max(1, round((resolved - started).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
