"""The estimated time of restoration, as a caller hears it: relative, rounded, never past."""

from __future__ import annotations

from datetime import datetime

from ivr.wording import say

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def spoken_etr(etr: datetime | None, now: datetime, language: str) -> str | None:
    """A sentence like "Service should be back in about two hours.", or None if no ETR is ahead."""
    if etr is None or etr <= now:
        return None
    return say("etr", language, when=_relative(int((etr - now).total_seconds()), language))


def _relative(seconds: int, language: str) -> str:
    if seconds < 5 * MINUTE:
        return say("etr_soon", language)
    if seconds < 55 * MINUTE:
        return say("etr_minutes", language, n=5 * round(seconds / (5 * MINUTE)))
    if seconds < 90 * MINUTE:
        return say("etr_hour", language)
    if seconds < 20 * HOUR:
        return say("etr_hours", language, n=round(seconds / HOUR))
    if seconds < 36 * HOUR:
        return say("etr_day", language)
    return say("etr_days", language, n=round(seconds / DAY))
