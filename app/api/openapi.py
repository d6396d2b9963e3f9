"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of this API (no token needed)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask import Response, jsonify

from app.api import bp, idempotency
from app.api.openapi_alert_schemas import ALERT_SCHEMAS
from app.api.openapi_schemas import SCHEMAS, WHEN, error_responses, ref
from app.api.payload import PER_PAGE_DEFAULT, PER_PAGE_MAX
from app.core.urls import public_url
from app.models import MAX_ID, MAX_PAGE, DeliveryState, VoicemailStatus
from app.subscribers.csv_files import CSV_LIMIT
from app.subscribers.records import SEARCH_MAX

JSON = "application/json"
FLAG = ["0", "1", "false", "true", "no", "yes"]  # what app.api.payload.query_flag reads
WHOLE_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _op(
    summary: str,
    ok: str,
    schema: str | None = None,
    *,
    errors: str = "",
    limited: bool = True,
    **extra: Any,
) -> dict:
    """One operation: its success response and the error responses it can give.

    Every operation counts against BACKLINE_RATE_LIMIT_API (429), unless `limited` is False.
    """
    success: dict[str, Any] = {"description": summary}
    if schema:
        success["content"] = {JSON: {"schema": ref(schema)}}
    codes = ("401", *errors.split(), *(("429",) if limited else ()), "503")
    responses = {ok: success, **{code: {"$ref": f"#/components/responses/{code}"}
                                 for code in codes if code}}  # fmt: skip
    return {"summary": summary, "responses": responses, **extra}


def _with_replay(operation: dict[str, Any]) -> dict[str, Any]:
    """200: the first outage again (a repeated Idempotency-Key), or a dry run's preview."""
    either = {"oneOf": [ref("Outage"), ref("OutagePreview")]}
    replayed = {"description": "The outage this Idempotency-Key started before, or with "
                '"dry_run": true whom it would reach', "content": {JSON: {"schema": either}}}  # fmt: skip
    operation["responses"] = {"200": replayed, **operation["responses"]}
    return operation


def _body(schema: str, media: str = JSON, required: bool = True) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {media: {"schema": ref(schema)}}}}


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}]


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter; sent empty, it counts as not sent (repeatable ones aside)."""
    parameter = {"name": name, "in": "query", "schema": schema, "description": description}
    return parameter if schema.get("type") == "array" else {**parameter, "allowEmptyValue": True}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "From 1."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
           f"Items a page; {PER_PAGE_DEFAULT} when not sent."),
]  # fmt: skip


def _choices(values: type[StrEnum]) -> dict[str, Any]:
    """A repeatable query parameter (`?state=failed&state=bounced`) taking these values."""
    return {"type": "array", "items": {"enum": [value.value for value in values]}}


IDEMPOTENCY = {
    "name": "Idempotency-Key", "in": "header",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_LENGTH,
               "pattern": "^[ -~]*[!-~][ -~]*$"},
    "description": "1 to 255 printable ASCII characters (a UUID). A repeat with the same key and"
    " body within 7 days returns the first outage with 200.",
}  # fmt: skip
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        # Characters, each at most 4 bytes of UTF-8: none the 16 MiB body limit would refuse.
        "content": {"text/csv": {"schema": {"type": "string", "maxLength": CSV_LIMIT // 4 - 1}}},
        "description": "Columns number,name,email,plan,region,backup_number,timezone,language.",
    }
}

PATHS: dict[str, Any] = {
    "/outages": {
        "get": _op("List active outages (all with ?all=1)", "200", "OutagePage", errors="400",
                   parameters=[*PAGING, _query("all", {"enum": FLAG},
                                               "Include resolved ones.")]),
        "post": _with_replay(_op("Start an outage", "201", "Outage", errors="400 413 415 422",
                                 parameters=[IDEMPOTENCY], **_body("OutageStart"))),
    },
    "/outages/{outage_id}": {
        "parameters": _path_id("outage_id"),
        "get": _op("An outage with its timeline", "200", "Outage", errors="404"),
        "patch": _op("Change messages, ETR or state", "200", "Outage",
                     errors="400 404 409 413 415 422", **_body("OutageUpdate")),
    },
    "/outages/{outage_id}/resolve": {
        "parameters": _path_id("outage_id"),
        "post": _op("Resolve an outage", "200", "Outage", errors="404 409"),
    },
    "/outages/{outage_id}/confirm": {
        "parameters": _path_id("outage_id"),
        "post": _op("Confirm an automatic outage: its subscribers are told now", "200", "Outage",
                    errors="404 409"),
    },
    "/outages/{outage_id}/progress": {
        "parameters": _path_id("outage_id"),
        "get": _op("The outage's notices: sent, failed, refused and pending by channel", "200",
                   "OutageProgress", errors="404"),
    },
    "/outages/{outage_id}/report": {
        "parameters": _path_id("outage_id"),
        "put": _op("Publish (or correct) a resolved outage's post-incident report", "200",
                   "Outage", errors="400 404 409 413 415 422", **_body("Report")),
    },
    "/subscribers": {
        "get": _op("List subscribers, searching number, name and email with ?q=", "200",
                   "SubscriberPage", errors="400",
                   parameters=[*PAGING, _query("q", {"type": "string", "maxLength": SEARCH_MAX},
                                               "Part of a number, "
                                               "name or email address.")]),
        "post": _op("Add a subscriber", "201", "Subscriber", errors="400 409 413 415 422",
                    **_body("SubscriberCreate")),
    },
    "/subscribers/import": {
        "post": _op("Import subscribers from CSV: every row, or none if any is wrong", "200",
                    "ImportResult", errors="409 413 415 422", **CSV_BODY),
    },
    "/subscribers/{subscriber_id}": {
        "parameters": _path_id("subscriber_id"),
        "get": _op("A subscriber", "200", "Subscriber", errors="404"),
        "patch": _op("Change a subscriber", "200", "Subscriber",
                     errors="400 404 409 413 415 422", **_body("SubscriberUpdate")),
        "delete": _op("Delete a subscriber and erase their voicemails (rows kept, anonymised)", "204",
                      errors="404"),
    },
    "/subscribers/{subscriber_id}/status-links/revoke": {
        "parameters": _path_id("subscriber_id"),
        "post": _op("Revoke the subscriber's status page links: those issued so far stop "
                    "working, those in later notices work", "200", "StatusLinksRevoked",
                    errors="404"),
    },
    "/voicemails": {
        "get": _op("List voicemails, newest first", "200", "VoicemailPage", errors="400",
                   parameters=[*PAGING,
                               _query("status", _choices(VoicemailStatus), "Repeatable."),
                               _query("subscriber_id", WHOLE_ID, "Whose."),
                               _query("since", WHEN,
                                      "Recorded at or after: an ISO 8601 time (a date alone "
                                      "is midnight); no offset means UTC.")]),
    },
    "/voicemails/{voicemail_id}": {
        "parameters": _path_id("voicemail_id"),
        "get": _op("A voicemail with its deliveries and a listen link", "200", "Voicemail",
                   errors="404"),
    },
    "/deliveries": {
        "get": _op("List deliveries, newest first", "200", "DeliveryPage", errors="400",
                   parameters=[*PAGING,
                               _query("state", _choices(DeliveryState),
                                      "Repeatable, e.g. failed."),
                               _query("voicemail_id", WHOLE_ID, "Of one voicemail.")]),
    },
    "/deliveries/{delivery_id}": {
        "parameters": _path_id("delivery_id"),
        "get": _op("A delivery", "200", "Delivery", errors="404"),
    },
    "/deliveries/{delivery_id}/retry": {
        "parameters": _path_id("delivery_id"),
        "post": _op("Resend as a new delivery with a new Message-ID", "201", "Delivery",
                    errors="400 404 409 413 415 422", **_body("Retry", required=False)),
    },
    "/alerts/alertmanager": {
        "post": _op("Alertmanager's webhook: firing alerts open outages, resolved ones move "
                    "them to monitoring; a repeated alert (fingerprint, startsAt) does nothing. "
                    "Never rate-limited (an alert must always land); bodies up to 1 MiB",
                    "200", "AlertOutcomes", errors="400 413 422", limited=False,
                    **_body("AlertmanagerWebhook")),
    },
    "/openapi.json": {
        "get": {"summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document",
                                      "content": {JSON: {"schema": {"type": "object"}}}},
                              "429": {"$ref": "#/components/responses/429"}}},
    },
}  # fmt: skip


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, with the server URL from BACKLINE_PUBLIC_URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Backline API",
            "version": "1",
            "description": "Outages, subscribers, voicemails and their deliveries. Every "
            "error is JSON with a sentence in `error`. Tokens: `backline token create NAME`.",
        },
        "servers": [{"url": public_url(bp.url_prefix or "")}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": {**SCHEMAS, **ALERT_SCHEMAS},
            "responses": error_responses(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
