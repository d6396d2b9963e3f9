"""Subscribers in and out of JSON, checked by the same rules as the CSV import."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.api import fields
from app.api.errors import ApiError, Invalid
from app.api.outage_json import iso
from app.api.payload import json_type
from app.models import Subscriber
from app.subscribers.records import number_conflicts
from app.subscribers.rules import TEXT_LIMITS, email_problem, language_problem, timezone_problem

FIELDS = ("number", "emails", "name", "plan", "region", "backup_number", "timezone", "language")
REQUIRED = ("number", "emails")
MAX_EMAILS = 20


def subscriber_values(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The checked values a POST (all required fields) or PATCH (any fields) body sets."""
    if creating:
        for name in REQUIRED:
            if name not in body:
                raise Invalid(name, "is required")
    elif not body:
        raise Invalid("body", f"give at least one of: {', '.join(FIELDS)}")
    values: dict[str, Any] = {}
    if "number" in body:
        values["number"] = fields.phone_number(body["number"], "number")
    if "emails" in body:
        values["emails"] = _emails(body["emails"])
    for name, limit in TEXT_LIMITS.items():
        if name in body:
            values[name] = fields.text(body[name], name, limit, nullable=True)
    if "backup_number" in body:
        raw = body["backup_number"]
        values["backup_number"] = None if raw is None else fields.phone_number(raw, "backup_number")
    if "language" in body:
        language = fields.text(body["language"], "language", 8, nullable=True)
        values["language"] = language.lower() if language else None
    _check_choices(values)
    return values


def _emails(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid("emails", f"expected a non-empty array of addresses, got {json_type(value)}")
    if len(value) > MAX_EMAILS:
        raise Invalid("emails", f"at most {MAX_EMAILS} addresses, not {len(value)}")
    addresses = [fields.required_text(a, f"emails[{i}]", 254) for i, a in enumerate(value)]
    for i, address in enumerate(addresses):
        if problem := email_problem(address):
            raise Invalid(f"emails[{i}]", problem)
    return list(dict.fromkeys(addresses))


def _check_choices(values: dict[str, Any]) -> None:
    if values.get("timezone") and (problem := timezone_problem(values["timezone"])):
        raise Invalid("timezone", problem)
    if values.get("language") and (problem := language_problem(values["language"])):
        raise Invalid("language", problem)


def check_numbers(session: Session, subscriber: Subscriber | None, values: dict[str, Any]) -> None:
    """Numbers stay unique (409), and no subscriber's number is anyone's backup number (422)."""
    number = values.get("number", subscriber.number if subscriber else None)
    backup = values.get("backup_number", subscriber.backup_number if subscriber else None)
    conflicts = number_conflicts(
        session, subscriber, number, backup, check_number="number" in values
    )
    if not conflicts:
        return
    first = conflicts[0]  # the API answers with one problem
    if first.taken_by is not None:
        raise ApiError(409, f"Subscriber {first.taken_by} already has the number {number}.")
    raise Invalid(first.field, first.problem)


def subscriber_json(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "id": subscriber.id,
        "number": subscriber.number,
        "emails": subscriber.emails,
        "name": subscriber.name,
        "plan": subscriber.plan,
        "region": subscriber.region,
        "backup_number": subscriber.backup_number,
        "timezone": subscriber.timezone,
        "language": subscriber.language,
        "created_at": iso(subscriber.created_at),
        "updated_at": iso(subscriber.updated_at),
    }
