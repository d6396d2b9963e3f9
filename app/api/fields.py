"""Checks for single JSON values; each raises Invalid naming the field and what is wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from app.api.errors import Invalid
from app.api.payload import json_type
from app.core.phone import InvalidNumber, normalise
from app.models.outage import MESSAGE_LIMIT
from ivr.wording import SUPPORTED_LANGUAGES

# What a phone number and a time look like: checked here and stated in the OpenAPI document, so
# the two cannot disagree. phonenumbers and datetime then check the rest (a real number, date).
PHONE_PATTERN = r"^ *\+[0-9][0-9 ().-]{5,38} *$"
PHONE_LIMIT = 64
TIME_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?$"
)
TIME_LIMIT = 64
TIME_EXAMPLE = "2026-11-22T18:30:00+01:00"


def text(value: Any, field: str, limit: int, *, nullable: bool = False) -> str | None:
    """A non-blank string of at most `limit` characters that a database can store."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        expected = "a string or null" if nullable else "a string"
        raise Invalid(field, f"expected {expected}, got {json_type(value)}")
    value = value.strip()
    if not value:
        raise Invalid(field, "must not be blank" + (" (send null to clear it)" if nullable else ""))
    if len(value) > limit:
        raise Invalid(field, f"at most {limit} characters, not {len(value)}")
    if "\x00" in value or not _encodable(value):
        raise Invalid(field, "contains a NUL or an unpaired surrogate character")
    return value


def required_text(value: Any, field: str, limit: int) -> str:
    result = text(value, field, limit)
    assert result is not None
    return result


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_list(value: Any, field: str, limit: int, max_items: int = 1000) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(field, f"expected an array of strings, got {json_type(value)}")
    if len(value) > max_items:
        raise Invalid(field, f"at most {max_items} values, not {len(value)}")
    return [required_text(item, f"{field}[{i}]", limit) for i, item in enumerate(value)]


def phone_number(value: Any, field: str) -> str:
    """A number in international form (`+1 (415) 555-0100`), as E.164."""
    if not isinstance(value, str):
        raise Invalid(field, f"expected a phone number as a string, got {json_type(value)}")
    if len(value) > PHONE_LIMIT or not re.fullmatch(PHONE_PATTERN, value):
        raise Invalid(
            field,
            f"{value[:40]!r} is not a phone number (use the international form, like +14155550100)",
        )
    try:
        return normalise(value)
    except InvalidNumber as exc:
        raise Invalid(field, str(exc)) from None


def translations(value: Any, field: str) -> dict[str, str]:
    """Messages by language code, each language a supported one."""
    if not isinstance(value, dict):
        raise Invalid(field, f"expected an object of language: text, got {json_type(value)}")
    result: dict[str, str] = {}
    for language, message in value.items():
        if language.lower() not in SUPPORTED_LANGUAGES:
            raise Invalid(
                f"{field}.{language}",
                f"language not supported (use one of {', '.join(SUPPORTED_LANGUAGES)})",
            )
        result[language.lower()] = required_text(message, f"{field}.{language}", MESSAGE_LIMIT)
    return result


def future_time(value: Any, field: str) -> datetime | None:
    """An ISO 8601 time ahead of now, in UTC (a time without an offset is UTC); null clears."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > TIME_LIMIT:
        raise Invalid(field, f"expected an ISO 8601 time as a string, got {json_type(value)}")
    moment = iso_time(value, field)
    if moment <= datetime.now(UTC):
        raise Invalid(field, f"{value} is in the past; it must be ahead of now")
    return moment


def iso_time(value: str, field: str) -> datetime:
    """Parse an ISO 8601 time to UTC; a time without an offset is UTC, a date alone midnight."""
    problem = f"{value[:64]!r} is not an ISO 8601 time (like {TIME_EXAMPLE})"
    if not re.fullmatch(TIME_PATTERN, value):
        raise Invalid(field, problem)
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise Invalid(field, problem) from None
