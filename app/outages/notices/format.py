"""How notices write times, durations and lists of numbers, in the recipient's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

SMS_NUMBERS_SHOWN = 2


def short_list(numbers: Sequence[str]) -> str:
    """The first numbers and how many more, for an SMS."""
    shown = ", ".join(numbers[:SMS_NUMBERS_SHOWN])
    more = len(numbers) - SMS_NUMBERS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


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


def when(at: datetime | None) -> str | None:
    """A time as notices write it, with its zone's abbreviation."""
    return at.strftime("%a %d %b %Y, %H:%M %Z") if at else None


def lasted(started: datetime | None, resolved: datetime | None) -> str | None:
    """How long a disruption lasted, to the minute: "1 h 5 min"."""
    if started is None or resolved is None:
        return None
    minutes = max(1, round((resolved - started).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
