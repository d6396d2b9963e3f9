"""Reading values from Twilio's webhook forms, which anyone holding a signed request can replay
with any value: only plain ASCII digits count as numbers, and only up to a bound the database
can store; a SID is two letters and 32 hex digits, nothing before or after; a time must parse
and must not lie in the future."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

INT4_MAX = 2**31 - 1  # the largest value of an `integer` column in PostgreSQL
SID_DIGITS = re.compile(r"[0-9a-fA-F]{32}")
CLOCK_SKEW = timedelta(minutes=5)


def is_sid(value: str | None, *prefixes: str) -> bool:
    """Whether `value` is a Twilio SID starting with one of `prefixes` (`"RE"`, `"CA"`, …).

    Twilio publishes the pattern as `^RE[0-9a-fA-F]{32}$`: either case is a SID. Backline keeps
    and sends SIDs exactly as Twilio gave them (they are opaque); `fullmatch`, because `$`
    matches before a trailing newline.
    """
    text = value or ""
    return text[:2] in prefixes and SID_DIGITS.fullmatch(text, 2) is not None


def same_sid(first: str, second: str) -> bool:
    """Whether two SIDs name the same Twilio object, whatever case their hex digits are in."""
    return first.lower() == second.lower()


def whole_number(raw: str | None, maximum: int = INT4_MAX) -> int | None:
    """The value of `raw` when it is a whole number from 0 to `maximum`, else None.

    `str.isdigit()` alone lets through characters `int()` refuses ("²") or reads (Arabic-Indic
    digits), and numbers of thousands of digits that `int()` refuses too.
    """
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if value <= maximum else None


def twilio_time(raw: str | None, now: datetime | None = None) -> datetime | None:
    """A time Twilio wrote in a webhook ("Tue, 10 Aug 2010 08:02:17 +0000"), in UTC; None when
    it is missing, malformed, or later than `now` by more than clocks can disagree."""
    try:
        moment = parsedate_to_datetime((raw or "").strip())
        if moment.tzinfo is None:  # "-0000": UTC, with no zone said
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment > (now or datetime.now(UTC)) + CLOCK_SKEW:
        return None
    return moment
