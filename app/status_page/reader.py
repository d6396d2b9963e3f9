"""Who reads a status page: the time zone and language it is shown in.

A link may name several subscribers (numbers sharing an address); the first one, by id, with a
time zone or language set decides, else BACKLINE_DEFAULT_TIMEZONE and _LANGUAGE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from app.models import Subscriber

STATE_LABELS = {
    "investigating": "Investigating",
    "identified": "Cause identified",
    "monitoring": "Fix in place, monitoring",
    "resolved": "Resolved",
}


@dataclass(frozen=True)
class Reader:
    zone: ZoneInfo
    language: str

    @classmethod
    def of(cls, subscribers: Sequence[Subscriber]) -> Reader:
        config = current_app.config
        zone_name = next((s.timezone for s in subscribers if s.timezone), None)
        language = next((s.language for s in subscribers if s.language), None)
        return cls(
            _zone(zone_name or config["BACKLINE_DEFAULT_TIMEZONE"]),
            language or config["BACKLINE_DEFAULT_LANGUAGE"],
        )

    def when(self, moment: datetime) -> str:
        """A moment in the reader's zone, with the zone's abbreviation."""
        return moment.astimezone(self.zone).strftime("%a %d %b %Y, %H:%M %Z")

    def message(self, default: str | None, translations: Mapping[str, str]) -> str | None:
        """The message in the reader's language when there is a translation, else the default."""
        return translations.get(self.language) or default

    @staticmethod
    def state(state: str) -> str:
        return STATE_LABELS.get(state, state.capitalize())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
