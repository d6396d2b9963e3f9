"""What a valid subscriber field is, shared by the CSV import and the REST API.

Each check returns a sentence saying what is wrong, or None when the value is fine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Subscriber
from ivr.wording import SUPPORTED_LANGUAGES

_PART = r"[^@\s;,<>\x00-\x1f\x7f]+"  # no separators, brackets or control characters
EMAIL = re.compile(rf"^{_PART}@{_PART}\.{_PART}$")
EMAIL_MAX = 254  # the longest address SMTP carries (RFC 5321)
TEXT_LIMITS = {"name": 200, "plan": 50, "region": 50, "timezone": 64}  # the columns' sizes


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def email_problem(address: str) -> str | None:
    if len(address) > EMAIL_MAX:
        return f"an email address may be at most {EMAIL_MAX} characters long"
    return None if EMAIL.match(address) else f"{address!r} is not an email address"


def nul_problem(value: str) -> str | None:
    """Databases cannot store NUL characters (PostgreSQL refuses them)."""
    return "contains a NUL character" if "\x00" in value else None


def length_problem(column: str, value: str) -> str | None:
    limit = TEXT_LIMITS[column]
    return f"at most {limit} characters, not {len(value)}" if len(value) > limit else None


def timezone_problem(zone: str) -> str | None:
    if zone in time_zones():
        return None
    return f"{zone!r} is not an IANA time zone (like Europe/Paris)"


def language_problem(language: str) -> str | None:
    if language in SUPPORTED_LANGUAGES:
        return None
    return f"{language!r} is not supported (use one of {', '.join(SUPPORTED_LANGUAGES)})"


def backup_owners(session: Session) -> Mapping[str, str]:
    """Every backup number in the database, mapped to the number of the subscriber it serves."""
    rows = session.execute(
        select(Subscriber.backup_number, Subscriber.number).where(
            Subscriber.backup_number.is_not(None)
        )
    )
    return {backup: number for backup, number in rows if backup}
