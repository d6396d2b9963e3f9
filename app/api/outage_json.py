"""Outages in and out of JSON: what POST and PATCH accept, and what every answer shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.api import fields
from app.api.errors import Invalid
from app.api.payload import json_type
from app.models import Outage, OutageState
from app.models.outage import MESSAGE_LIMIT
from app.outages.lifecycle import Scope

MESSAGES = ("message", "caller_message", "subscriber_message", "caller_messages")
START_FIELDS = (*MESSAGES, "subscriber_messages", "etr", "scope", "force", "dry_run")
UPDATE_FIELDS = (*MESSAGES, "subscriber_messages", "etr", "state")
SCOPE_FIELDS = ("regions", "numbers", "plans")
EVERYONE = "all"  # "scope": "all", the only way to reach every subscriber
SCOPE_VALUE_LIMIT = 50  # the size of a subscriber's region and plan columns
SCOPE_ITEMS_LIMIT = 1000  # values in each of a scope's lists
STATES = tuple(state.value for state in OutageState)
NO_SCOPE = (
    'required: an object with regions, numbers or plans (at least one value), or "all" to '
    "reach every subscriber"
)


def start_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `start_outage` that a POST /outages body asks for."""
    arguments = _messages(body)
    arguments["etr"] = fields.future_time(body.get("etr"), "etr")
    arguments["scope"] = _scope(body.get("scope"))
    return arguments


def start_flag(body: dict[str, Any], name: str) -> bool:
    """`force` or `dry_run`: true or false, false when left out."""
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise Invalid(name, f"expected true or false, got {json_type(value)}")
    return value


def update_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The changes a PATCH /outages/<id> body asks for, at least one."""
    if not body:
        raise Invalid("body", f"give at least one of: {', '.join(UPDATE_FIELDS)}")
    changes = _messages(body)
    if "etr" in body:
        changes["etr"] = fields.future_time(body["etr"], "etr")
    if "state" in body:
        state = body["state"]
        if not isinstance(state, str) or state not in STATES:
            shown = repr(state[:40]) if isinstance(state, str) else json_type(state)
            raise Invalid("state", f"expected one of {', '.join(STATES)}, got {shown}")
        changes["state"] = state
    return changes


def _messages(body: dict[str, Any]) -> dict[str, Any]:
    """The messages in `body`; `message` sets both, and the specific fields override it."""
    limit = MESSAGE_LIMIT
    result: dict[str, Any] = {}
    if "message" in body:
        both = fields.text(body["message"], "message", limit, nullable=True)
        result["caller_message"] = result["subscriber_message"] = both
    for name in ("caller_message", "subscriber_message"):
        if name in body:
            result[name] = fields.text(body[name], name, limit, nullable=True)
    for name in ("caller_messages", "subscriber_messages"):
        if name in body:
            result[name] = fields.translations(body[name], name)
    return result


def _scope(value: Any) -> Scope:
    """The scope asked for: "all" (everyone), or regions, numbers and plans, at least one."""
    if value == EVERYONE:
        return Scope()
    if value is None:
        raise Invalid("scope", NO_SCOPE)
    if not isinstance(value, dict):
        raise Invalid("scope", f'expected an object or "all", got {_shown(value)}')
    for name in value:
        if name not in SCOPE_FIELDS:
            raise Invalid(f"scope.{name}", f"unknown field (expected {', '.join(SCOPE_FIELDS)})")
    numbers = value.get("numbers", [])
    fields.text_list(numbers, "scope.numbers", 64, SCOPE_ITEMS_LIMIT)  # before normalising
    scope = Scope(
        regions=_values(value, "regions"),
        numbers=[fields.phone_number(n, f"scope.numbers[{i}]") for i, n in enumerate(numbers)],
        plans=_values(value, "plans"),
    )
    if scope.covers_everyone:
        raise Invalid("scope", NO_SCOPE)
    return scope


def _values(scope: dict[str, Any], name: str) -> list[str]:
    limit, items = SCOPE_VALUE_LIMIT, SCOPE_ITEMS_LIMIT
    return fields.text_list(scope.get(name, []), f"scope.{name}", limit, items)


def _shown(value: Any) -> str:
    return repr(value[:40]) if isinstance(value, str) else json_type(value)


def outage_json(outage: Outage, affected: int, timeline: bool = False) -> dict[str, Any]:
    """An outage as the API shows it; `timeline` adds the audit log."""
    data: dict[str, Any] = {
        "id": outage.id,
        "state": outage.state,
        "source": outage.source,
        "caller_message": outage.caller_message,
        "subscriber_message": outage.subscriber_message,
        "caller_messages": outage.caller_messages or {},
        "subscriber_messages": outage.subscriber_messages or {},
        "etr": iso(outage.etr),
        "scope": {
            "regions": outage.scope_regions,
            "numbers": outage.scope_numbers,
            "plans": outage.scope_plans,
        },
        "affected": affected,
        "started_at": iso(outage.started_at),
        "updated_at": iso(outage.updated_at),
        "resolved_at": iso(outage.resolved_at),
        "confirmed_at": iso(outage.confirmed_at),
        "confirmed_by": outage.confirmed_by,
        "report": outage.report,
        "report_published_at": iso(outage.report_published_at),
    }
    if timeline:
        data["timeline"] = [
            {"at": iso(e.at), "actor": e.actor, "action": e.action, "changes": e.changes}
            for e in outage.events
        ]
    return data


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
