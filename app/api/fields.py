"""Checks for single JSON values; each raises Invalid naming the field and what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.phone import InvalidNumber, normalise
from ivr.wording import SUPPORTED_LANGUAGES

from .errors import Invalid
from .payload import json_type

MESSAGE_LIMIT = 2000  # Twilio's <Say> reads at most 4,096 characters; a caller listens to this


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
    if not isinstance(value, str):
        raise Invalid(field, f"expected a phone number as a string, got {json_type(value)}")
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
    if not isinstance(value, str) or len(value) > 64:
        raise Invalid(field, f"expected an ISO 8601 time as a string, got {json_type(value)}")
    moment = iso_time(value, field)
    if moment <= datetime.now(UTC):
        raise Invalid(field, f"{value} is in the past; it must be ahead of now")
    return moment


def iso_time(value: str, field: str) -> datetime:
    """Parse an ISO 8601 time to UTC; a time without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            field, f"{value!r} is not an ISO 8601 time (like 2026-11-22T18:30:00+01:00)"
        ) from None
