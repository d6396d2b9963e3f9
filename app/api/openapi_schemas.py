"""The schemas and shared responses of the OpenAPI document (JSON Schema 2020-12)."""

from __future__ import annotations

from typing import Any

from app.models import DeliveryState, OutageState, VoicemailStatus
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


def _strings(max_length: int) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "maxLength": max_length, "pattern": NOT_BLANK},
    }


MESSAGE = {"type": "string", "maxLength": 2000, "pattern": NOT_BLANK}
TRANSLATIONS = {
    "type": "object",
    "description": "Messages by language code.",
    "propertyNames": {"enum": list(SUPPORTED_LANGUAGES)},
    "additionalProperties": MESSAGE,
}
ETR = {"type": "string", "format": "date-time", "description": "ISO 8601; no offset means UTC."}
MESSAGE_FIELDS = {
    "message": {**nullable(MESSAGE), "description": "Sets both the caller and subscriber message."},
    "caller_message": nullable(MESSAGE),
    "subscriber_message": nullable(MESSAGE),
    "caller_messages": TRANSLATIONS,
    "subscriber_messages": TRANSLATIONS,
}
SCOPE = obj(
    {"regions": _strings(50), "numbers": _strings(64), "plans": _strings(50)},
    description="Empty or missing lists place no limit; different lists narrow each other.",
)
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
OUTAGE_START = obj({**MESSAGE_FIELDS, "etr": nullable(ETR), "scope": SCOPE})
OUTAGE_UPDATE = obj(
    {**MESSAGE_FIELDS, "etr": nullable(ETR), "state": {"enum": [s.value for s in OutageState]}},
    minProperties=1,
)
SUBSCRIBER_FIELDS = {
    "number": {"type": "string", "description": "Normalised to E.164."},
    "emails": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1},
    "name": nullable({"type": "string", "maxLength": 200}),
    "plan": nullable({"type": "string", "maxLength": 50}),
    "region": nullable({"type": "string", "maxLength": 50}),
    "backup_number": nullable({"type": "string", "description": "Not any subscriber's number."}),
    "timezone": nullable({"type": "string", "description": "An IANA time zone."}),
    "language": nullable({"enum": list(SUPPORTED_LANGUAGES)}),
}
SUBSCRIBER = obj(
    {"id": ID, **SUBSCRIBER_FIELDS, "created_at": TIME, "updated_at": TIME},
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
LABELS: dict[str, Any] = {"type": "object", "additionalProperties": STRING}
# Alertmanager sends these; Backline accepts them whatever they hold, since it does not read them.
UNREAD: dict[str, Any] = {"description": "Sent by Alertmanager; not read by Backline."}
ALERTMANAGER_ALERT = {
    "type": "object",
    "properties": {
        "status": {"enum": ["firing", "resolved"], "description": "This alert's, not the group's."},
        "labels": {**LABELS, "description": "region, number (E.164) and plan give the scope; "
                   'with none of them, backline_scope="all" means every subscriber.'},
        "annotations": {**LABELS, "description": "summary: the subscriber message; "
                        "caller_message: what callers hear (else a neutral template)."},
        "startsAt": TIME, "endsAt": UNREAD, "generatorURL": UNREAD,
        "fingerprint": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "required": ["status", "startsAt", "fingerprint"],
}  # fmt: skip
ALERTMANAGER_WEBHOOK = {
    "type": "object",
    "description": "Alertmanager's webhook payload; fields Backline does not read are allowed.",
    "properties": {
        "version": {"const": "4"}, "groupKey": UNREAD, "truncatedAlerts": UNREAD,
        "status": UNREAD, "receiver": {**STRING, "description": "Names the audit log's actor."},
        "groupLabels": UNREAD, "commonLabels": UNREAD, "commonAnnotations": UNREAD,
        "externalURL": UNREAD, "alerts": {"type": "array", "items": ref("AlertmanagerAlert")},
    },
    "required": ["version", "alerts"],
}  # fmt: skip
ALERT_OUTCOME = obj(
    {"fingerprint": STRING, "starts_at": TIME, "status": {"enum": ["firing", "resolved"]},
     "outcome": {"enum": ["started", "already-seen", "monitoring", "ignored"]},
     "outage_id": nullable(ID), "reason": nullable(STRING)},
    ("fingerprint", "starts_at", "status", "outcome", "outage_id", "reason"),
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
                "minLength": 1,
                "maxLength": 20000,
                "description": "Plain text or Markdown, shown as text.",
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
    "Retry": obj({"to": {**nullable(STRING), "description": "Send to this address instead."}}),
    "AlertmanagerWebhook": ALERTMANAGER_WEBHOOK,
    "AlertmanagerAlert": ALERTMANAGER_ALERT,
    "AlertOutcome": ALERT_OUTCOME,
    "AlertOutcomes": obj({"alerts": {"type": "array", "items": ref("AlertOutcome")}}, ("alerts",)),
}

ERRORS = {
    "400": "Malformed JSON, a body that is not an object, or a bad query parameter.",
    "401": "No token, or a token that is not valid or has been revoked.",
    "404": "No such resource.",
    "409": "The change conflicts with the resource's state (resolved, in flight, taken).",
    "413": "The body is too large.",
    "415": "The body's Content-Type is not the one this operation accepts.",
    "422": "A value is not acceptable; `field` names it.",
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
    return responses
