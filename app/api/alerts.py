"""POST /api/v1/alerts/alertmanager: Alertmanager's webhook (payload version 4).

The whole body is checked before anything is written, so a bad payload changes nothing; what
each alert then does is decided in `app.alertmanager`. Only the fields Backline uses are read:
Alertmanager adds fields over time, and refusing one would silently stop its webhooks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import bp
from app.api.errors import ApiError, Invalid
from app.api.payload import json_type
from app.core.extensions import db
from app.outages.alertmanager import FIRING, RESOLVED, Alert, Notification, receive

# Alertmanager sends a whole group's alerts in one body and does not split it; the API's usual
# 64 KiB would refuse a group of a hundred or so, and a refused group never opens its outages.
BODY_LIMIT = 1024 * 1024
FINGERPRINT_LIMIT = 64  # the alerts.fingerprint column; Alertmanager's own are 16 hex digits
TIME_EXAMPLE = "2026-11-22T18:30:00Z"


@bp.post("/alerts/alertmanager")
def alertmanager_webhook() -> Response:
    """Open, or move to monitoring, the outages these alerts are about; say what each did."""
    notification = read_notification(_json_body())
    outcomes = receive(db.session(), notification)
    return jsonify({"alerts": [outcome.as_json() for outcome in outcomes]})


def _json_body() -> Any:
    """The body as JSON, whatever its Content-Type: a webhook sender is not a client to teach."""
    request.max_content_length = BODY_LIMIT
    too_large = ApiError(413, f"The request body is larger than {BODY_LIMIT // 1024} KiB.")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(raw) >= BODY_LIMIT:  # a body without Content-Length is cut at the limit, silently
        raise too_large
    try:
        return json.loads(raw)
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: it is nested too deeply.") from None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None


def read_notification(data: Any) -> Notification:
    """Alertmanager's payload as checked alerts; 400 or 422 naming the first bad value."""
    if not isinstance(data, dict):
        raise ApiError(400, f"The body must be a JSON object, not {json_type(data)}.")
    if data.get("version") != "4":
        raise Invalid(
            "version",
            f'expected "4" (Alertmanager\'s webhook format), got {_shown(data.get("version"))}',
        )
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise Invalid("alerts", f"expected an array of alerts, got {json_type(alerts)}")
    receiver = _text(data.get("receiver", ""), "receiver").strip() or "alertmanager"
    return Notification(receiver, [_alert(a, f"alerts[{i}]") for i, a in enumerate(alerts)])


def _alert(value: Any, field: str) -> Alert:
    if not isinstance(value, dict):
        raise Invalid(field, f"expected an alert object, got {json_type(value)}")
    status = value.get("status")
    if status not in (FIRING, RESOLVED):
        raise Invalid(f"{field}.status", f'expected "firing" or "resolved", got {_shown(status)}')
    return Alert(
        fingerprint=_fingerprint(value.get("fingerprint"), f"{field}.fingerprint"),
        starts_at=_time(value.get("startsAt"), f"{field}.startsAt"),
        status=status,
        labels=_text_map(value.get("labels", {}), f"{field}.labels"),
        annotations=_text_map(value.get("annotations", {}), f"{field}.annotations"),
    )


def _fingerprint(value: Any, field: str) -> str:
    if value is None:
        raise Invalid(field, "is required (Alertmanager 0.19 and later send it)")
    fingerprint = _text(value, field).strip()
    if not fingerprint or len(fingerprint) > FINGERPRINT_LIMIT:
        raise Invalid(field, f"expected 1 to {FINGERPRINT_LIMIT} characters")
    return fingerprint


def _time(value: Any, field: str) -> datetime:
    """An RFC 3339 time in UTC; Go's nanoseconds are cut to the microseconds databases keep."""
    if value is None:
        raise Invalid(field, f"is required (an RFC 3339 time like {TIME_EXAMPLE})")
    if not isinstance(value, str) or len(value) > 64:
        raise Invalid(field, f"expected an RFC 3339 time as a string, got {json_type(value)}")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("no offset")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            field, f"{_shown(value)} is not an RFC 3339 time with an offset (like {TIME_EXAMPLE})"
        ) from None


def _text(value: Any, field: str) -> str:
    """A string a database can store (no NUL, no unpaired surrogate)."""
    if not isinstance(value, str):
        raise Invalid(field, f"expected a string, got {json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(field, "contains an unpaired surrogate character") from None
    if "\x00" in value:
        raise Invalid(field, "contains a NUL character")
    return value


def _text_map(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(field, f"expected an object of strings, got {json_type(value)}")
    return {_text(key, field): _text(text, f"{field}.{key}") for key, text in value.items()}


def _shown(value: Any) -> str:
    text = "nothing" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
