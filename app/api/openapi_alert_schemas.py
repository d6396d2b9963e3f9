"""The schemas of the Alertmanager receiver in the OpenAPI document: Alertmanager's webhook
payload as Backline reads it, and what Backline answers for each alert."""

from __future__ import annotations

from typing import Any

from app.api.openapi_schemas import ID, STRING, TIME, nullable, obj, ref

LABELS: dict[str, Any] = {"type": "object", "additionalProperties": STRING}
# Alertmanager sends these; Backline accepts them whatever they hold, since it does not read them.
UNREAD: dict[str, Any] = {"description": "Sent by Alertmanager; not read by Backline."}
ALERTMANAGER_ALERT = {
    "type": "object",
    "properties": {
        "status": {"enum": ["firing", "resolved"], "description": "This alert's, not the group's."},
        "labels": {**LABELS, "description": "region, number (international form, like "
                   "+1 212 555 0142) and plan give the scope; with none of them, "
                   'backline_scope="all" means every subscriber. An alert with no scope, a '
                   "number that is not one, or a scope matching no subscriber is acknowledged "
                   '(outcome "ignored", with the reason) and opens nothing; the admins are '
                   "emailed."},
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

ALERT_SCHEMAS: dict[str, Any] = {
    "AlertmanagerWebhook": ALERTMANAGER_WEBHOOK,
    "AlertmanagerAlert": ALERTMANAGER_ALERT,
    "AlertOutcome": ALERT_OUTCOME,
    "AlertOutcomes": obj({"alerts": {"type": "array", "items": ref("AlertOutcome")}}, ("alerts",)),
}
