"""The schemas and shared responses of the OpenAPI document (JSON Schema 2020-12); the
Alertmanager receiver's are in app.api.openapi_alert_schemas."""

from __future__ import annotations

from typing import Any

from app.api.fields import PHONE_LIMIT, PHONE_PATTERN, TIME_LIMIT, TIME_PATTERN
from app.api.outage_json import EVERYONE, SCOPE_ITEMS_LIMIT, SCOPE_VALUE_LIMIT
from app.api.subscriber_json import MAX_EMAILS
from app.models import DeliveryState, OutageState, VoicemailStatus
from app.models.outage import MESSAGE_LIMIT
from app.outages.lifecycle import REPORT_MAX_CHARS
from app.subscribers.rules import EMAIL, EMAIL_MAX, TEXT_LIMITS
from ivr.wording import SUPPORTED_LANGUAGES

STRING: dict[str, Any] = {"type": "string"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
ID: dict[str, Any] = {"type": "integer", "minimum": 1}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    return {**schema, **({"required": list(required)} if required else {}), **extra}


def page_of(item: str) -> dict[str, Any]:
    return obj(
        {"items": {"type": "array", "items": ref(item)}, "page": ID, "per_page": ID,
         "total": {"type": "integer", "minimum": 0}},
        ("items", "page", "per_page", "total"),
    )  # fmt: skip


NOT_BLANK = "\\S"  # at least one character that is not white space
# Request values carry the server's own bounds and patterns, so the document allows nothing the
# server refuses for its form (and no body the body limit refuses:
# tests/app/api/test_openapi_bounds.py).
PHONE = {"type": "string", "maxLength": PHONE_LIMIT, "pattern": PHONE_PATTERN,
         "description": "International form, like +1 (415) 555-0100; stored in E.164."}  # fmt: skip
WHEN = {"type": "string", "maxLength": TIME_LIMIT, "pattern": TIME_PATTERN}
ADDRESS = {"type": "string", "maxLength": EMAIL_MAX, "pattern": EMAIL.pattern}


def _strings(max_length: int, items: dict[str, Any] | None = None) -> dict[str, Any]:
    item = items or {"type": "string", "maxLength": max_length, "pattern": NOT_BLANK}
    return {"type": "array", "maxItems": SCOPE_ITEMS_LIMIT, "items": item}


MESSAGE = {"type": "string", "maxLength": MESSAGE_LIMIT, "pattern": NOT_BLANK}
TRANSLATIONS = {
    "type": "object",
    "description": "Messages by language code.",
    "propertyNames": {"enum": list(SUPPORTED_LANGUAGES)},
    "additionalProperties": MESSAGE,
}
ETR = {**WHEN, "description": "ISO 8601, ahead of now; no offset means UTC."}
MESSAGE_FIELDS = {
    "message": {**nullable(MESSAGE), "description": "Sets both the caller and subscriber message."},
    "caller_message": nullable(MESSAGE),
    "subscriber_message": nullable(MESSAGE),
    "caller_messages": TRANSLATIONS,
    "subscriber_messages": TRANSLATIONS,
}
SCOPE_LISTS = {
    "regions": _strings(SCOPE_VALUE_LIMIT),
    "numbers": _strings(PHONE_LIMIT, PHONE),
    "plans": _strings(SCOPE_VALUE_LIMIT),
}
SCOPE = obj(
    SCOPE_LISTS,
    description="Empty or missing lists place no limit; different lists narrow each other. "
    "All three empty: every subscriber.",
)
SCOPE_REQUEST = {
    "oneOf": [
        {"const": EVERYONE, "description": "Every subscriber: the only way to reach everyone."},
        obj(SCOPE_LISTS, anyOf=[{"required": [name], "properties": {name: {"minItems": 1}}}
                                for name in SCOPE_LISTS]),
    ],
    "description": 'Required: "all", or at least one region, number or plan (each list holds '
    "alternatives; different lists narrow each other). A scope that matches no subscriber is "
    'refused (422, naming the regions and plans that exist) unless "force" is true.',
}  # fmt: skip
OUTAGE = obj(
    {"id": ID, "state": {"enum": [s.value for s in OutageState]}, "source": STRING,
     "caller_message": nullable(STRING), "subscriber_message": nullable(STRING),
     "caller_messages": TRANSLATIONS, "subscriber_messages": TRANSLATIONS,
     "etr": nullable(TIME), "scope": SCOPE, "affected": {"type": "integer", "minimum": 0},
     "started_at": TIME, "updated_at": TIME, "resolved_at": nullable(TIME),
     "confirmed_at": {**nullable(TIME), "description": "When subscribers could first be told: "
                      "at once for a person's outage, on confirmation for an automatic one."},
     "confirmed_by": nullable(STRING), "report": nullable(STRING),
     "report_published_at": nullable(TIME),
     "timeline": {"type": "array", "items": ref("OutageEvent")}},
    ("id", "state", "source", "scope", "affected", "started_at", "updated_at"),
)  # fmt: skip
OUTAGE_EVENT = obj(
    {"at": TIME, "actor": STRING, "action": {"enum": ["start", "update", "resolve", "confirm", "report"]},
     "changes": {"type": "object"}},
    ("at", "actor", "action", "changes"),
)  # fmt: skip
OUTAGE_START = obj(
    {**MESSAGE_FIELDS, "etr": nullable(ETR), "scope": SCOPE_REQUEST,
     "force": {"type": "boolean", "description": "Start even if no subscriber matches the scope "
               "(a number about to be imported)."},
     "dry_run": {"type": "boolean", "description": "Create nothing; answer whom it would reach "
                 "and the first notice (OutagePreview)."}},
    ("scope",),
)  # fmt: skip
OUTAGE_PREVIEW = obj(
    {"dry_run": {"const": True}, "affected": {"type": "integer", "minimum": 0},
     "first_notice": nullable(obj({"to": STRING, "subject": STRING, "text": STRING},
                                  ("to", "subject", "text")))},
    ("dry_run", "affected", "first_notice"),
)  # fmt: skip
OUTAGE_UPDATE = obj(
    {**MESSAGE_FIELDS, "etr": nullable(ETR), "state": {"enum": [s.value for s in OutageState]}},
    minProperties=1,
)


def _text(column: str, description: str | None = None) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": TEXT_LIMITS[column], "pattern": NOT_BLANK}
    return nullable({**schema, **({"description": description} if description else {})})


SUBSCRIBER_FIELDS = {
    "number": PHONE,
    "emails": {"type": "array", "items": ADDRESS, "minItems": 1, "maxItems": MAX_EMAILS},
    "name": _text("name"),
    "plan": _text("plan"),
    "region": _text("region"),
    "backup_number": nullable({**PHONE, "description": "Not any subscriber's number."}),
    "timezone": _text("timezone", "An IANA time zone."),
    "language": nullable({"enum": list(SUPPORTED_LANGUAGES)}),
}
SUBSCRIBER_SHOWN = {
    **{name: nullable(STRING) for name in ("name", "plan", "region", "backup_number", "timezone")},
    "number": {"type": "string", "description": "E.164."},
    "emails": {"type": "array", "items": STRING},
    "language": SUBSCRIBER_FIELDS["language"],
}
SUBSCRIBER = obj(
    {"id": ID, **SUBSCRIBER_SHOWN, "created_at": TIME, "updated_at": TIME},
    ("id", "number", "emails"),
)
DELIVERY = obj(
    {"id": ID, "voicemail_id": ID, "address": STRING,
     "state": {"enum": [s.value for s in DeliveryState]}, "message_id": nullable(STRING),
     "provider": nullable(STRING), "attempts": {"type": "integer"},
     "last_error": nullable(STRING), "created_at": TIME, "accepted_at": nullable(TIME),
     "resend_of_id": nullable(ID)},
    ("id", "voicemail_id", "address", "state"),
)  # fmt: skip
VOICEMAIL = obj(
    {"id": ID, "status": {"enum": [s.value for s in VoicemailStatus]},
     "subscriber_id": nullable(ID), "outage_id": nullable(ID), "call_sid": STRING,
     "recording_sid": STRING, "caller": STRING, "caller_number": nullable(STRING),
     "caller_name": nullable(STRING), "duration_seconds": nullable({"type": "number"}),
     "recorded_at": TIME, "processed_at": nullable(TIME), "error": nullable(STRING),
     "transcription": {"type": "object"},
     "listen_url": {**nullable({"type": "string", "format": "uri"}),
                    "description": "A signed, expiring link to the MP3 (detail only)."},
     "deliveries": {"type": "array", "items": ref("Delivery")}},
    ("id", "status", "recorded_at"),
)  # fmt: skip
ERROR = obj(
    {"error": {"type": "string", "description": "A sentence saying what is wrong."},
     "field": {"type": "string", "description": "The JSON path of the bad value."},
     "errors": {"type": "array", "items": STRING,
                "description": "CSV import: one `line N, column C: ...` per problem."}},
    ("error",),
)  # fmt: skip
MESSAGE_COUNTS = {
    "total": {"type": "integer", "minimum": 0},
    "sent": {"type": "integer", "minimum": 0, "description": "Accepted by the relay or provider."},
    "failed": {"type": "integer", "minimum": 0},
    "refused": {
        "type": "integer",
        "minimum": 0,
        "description": "Final: unsubscribed, opted out, landline, unreachable.",
    },
    "withdrawn": {
        "type": "integer",
        "minimum": 0,
        "description": "Final: nothing in it was true any more when its turn came (another "
        "outage still covers its numbers, or another notice tells them); never sent.",
    },
    "pending": {"type": "integer", "minimum": 0},
}
NOTICE_PROGRESS = obj(
    {"notice_id": ID, "kind": {"enum": ["start", "update", "resolve", "report"]},
     "state": {"enum": ["held", "queued", "sending", "done", "cancelled"]},
     "created_at": TIME, "released_at": nullable(TIME), "finished_at": nullable(TIME),
     "email": obj(MESSAGE_COUNTS, tuple(MESSAGE_COUNTS)),
     "sms": obj({**MESSAGE_COUNTS, "delivered": {"type": "integer", "minimum": 0},
                 "eta_seconds": {"type": "integer", "minimum": 0,
                                 "description": "At the sender's rate, BACKLINE_SMS_RATE."}},
                (*MESSAGE_COUNTS, "delivered", "eta_seconds"))},
    ("notice_id", "kind", "state", "created_at", "released_at", "finished_at", "email", "sms"),
)  # fmt: skip

SCHEMAS: dict[str, Any] = {
    "Error": ERROR,
    "Scope": SCOPE,
    "Outage": OUTAGE,
    "OutageEvent": OUTAGE_EVENT,
    "OutageStart": OUTAGE_START,
    "OutageUpdate": OUTAGE_UPDATE,
    "OutagePreview": OUTAGE_PREVIEW,
    "OutagePage": page_of("Outage"),
    "NoticeProgress": NOTICE_PROGRESS,
    "OutageProgress": obj(
        {"outage_id": ID, "notices": {"type": "array", "items": ref("NoticeProgress")}},
        ("outage_id", "notices"),
    ),
    "Report": obj(
        {
            "report": {
                "type": "string",
                "maxLength": REPORT_MAX_CHARS,
                "pattern": NOT_BLANK,
                "description": "Plain text or Markdown, shown as text; not only white space.",
            }
        },
        ("report",),
    ),
    "Subscriber": SUBSCRIBER,
    "SubscriberCreate": obj(SUBSCRIBER_FIELDS, ("number", "emails")),
    "SubscriberUpdate": obj(SUBSCRIBER_FIELDS, minProperties=1),
    "SubscriberPage": page_of("Subscriber"),
    "StatusLinksRevoked": obj(
        {"subscriber_id": ID, "status_links_revoked_at": TIME},
        ("subscriber_id", "status_links_revoked_at"),
    ),
    "ImportResult": obj({"created": {"type": "integer"}, "updated": {"type": "integer"}}),
    "Voicemail": VOICEMAIL,
    "VoicemailPage": page_of("Voicemail"),
    "Delivery": DELIVERY,
    "DeliveryPage": page_of("Delivery"),
    "Retry": obj({"to": {**nullable(ADDRESS), "description": "Send to this address instead."}}),
}

ERRORS = {
    "400": "Malformed JSON, a body that is not an object, or a bad query parameter.",
    "401": "No token, or a token that is not valid or has been revoked.",
    "404": "No such resource.",
    "409": "The change conflicts with the resource's state (resolved, in flight, taken).",
    "413": "The body is too large (JSON: 4 MiB; a CSV import: 16 MiB).",
    "415": "The body's Content-Type is not the one this operation accepts.",
    "422": "A value is not acceptable; `field` names it.",
    "429": "Too many requests with this token (BACKLINE_RATE_LIMIT_API); wait Retry-After seconds.",
    "503": "The database cannot be reached; try again shortly.",
}


def error_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code, description in ERRORS.items():
        content = {"application/json": {"schema": ref("Error")}}
        responses[code] = {"description": description, "content": content}
    responses["401"]["headers"] = {
        "WWW-Authenticate": {"schema": STRING, "description": '`Bearer realm="backline"`'}
    }
    responses["429"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds."}
    }
    return responses
