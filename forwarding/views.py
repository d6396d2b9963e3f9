"""Forwarding webhooks: `/forwarding/ses-events`, Amazon SES bounces and complaints through SNS.

Only messages that carry a valid Amazon SNS signature are believed (403 otherwise); malformed
or oversized bodies get a 4xx with a sentence, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

import requests
import structlog
from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from app.resilience.pending_jobs import queue_or_keep
from forwarding.ses_events import SesEventMalformed, apply_ses_event
from forwarding.sns import (
    AWS_SNS_ORIGIN,
    FETCH_TIMEOUT,
    MESSAGE_TYPES,
    SnsMalformed,
    SnsRejected,
    SnsUnavailable,
    is_sns_url,
    verify,
)
from forwarding.tasks import alert_admins

bp = Blueprint("forwarding", __name__, url_prefix="/forwarding")
log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 512 * 1024  # SNS messages are at most 256 KB, plus JSON escaping


@bp.post("/ses-events")
def ses_events() -> ResponseReturnValue:
    """An SNS HTTP(S) subscription: confirm it, then apply SES bounce and complaint events."""
    message = _sns_message()
    try:
        verify(message, sns_url_pattern())
    except SnsMalformed as exc:
        abort(400, str(exc))
    except SnsRejected as exc:
        log.warning("SNS message rejected", reason=str(exc))
        abort(403, str(exc))
    except SnsUnavailable as exc:
        abort(503, str(exc))
    _check_topic(message["TopicArn"])
    if message["Type"] == "SubscriptionConfirmation":
        return _confirm(message)
    if message["Type"] == "UnsubscribeConfirmation":
        log.warning("SNS subscription ended", topic=message["TopicArn"])
        return jsonify(status="noted")
    return _notification(message)


def sns_url_pattern() -> str:
    """The SNS origin rule: AWS hosts only in production, whatever the settings say."""
    override = current_app.config.get("BACKLINE_SNS_URL_PATTERN")
    if current_app.config["BACKLINE_ENV"] == "production" or not override:
        return AWS_SNS_ORIGIN
    return str(override)


def _sns_message() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        abort(413, f"An SNS message is at most {MAX_BODY_BYTES // 1024} KB.")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        abort(413, f"An SNS message is at most {MAX_BODY_BYTES // 1024} KB.")
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested past Python's stack
        abort(400, "The body is not JSON Backline can read; Amazon SNS posts a flat JSON message.")
    if not isinstance(message, dict) or message.get("Type") not in MESSAGE_TYPES:
        abort(
            400, f"The body is not an SNS message (Type must be one of {', '.join(MESSAGE_TYPES)})."
        )
    return message


def _check_topic(topic: str) -> None:
    allowed = current_app.config.get("BACKLINE_SES_TOPIC_ARNS")
    if allowed and topic not in {t.strip() for t in str(allowed).split(",")}:
        log.warning("SNS message from a topic not in BACKLINE_SES_TOPIC_ARNS", topic=topic)
        abort(403, "This topic is not one Backline accepts events from.")


def _confirm(message: dict[str, Any]) -> ResponseReturnValue:
    url = message["SubscribeURL"]
    if not is_sns_url(url, sns_url_pattern()):
        abort(400, "The SubscribeURL is not an Amazon SNS https URL; not confirming.")
    try:
        reply = requests.get(url, timeout=FETCH_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        abort(502, f"Amazon SNS could not be reached to confirm the subscription: {exc}")
    if reply.status_code != 200:
        abort(502, f"Amazon SNS did not confirm the subscription (HTTP {reply.status_code}).")
    log.info("SNS subscription confirmed", topic=message["TopicArn"])
    return jsonify(status="confirmed")


def _notification(message: dict[str, Any]) -> ResponseReturnValue:
    try:
        event = json.loads(message["Message"])
        bounced = apply_ses_event(event)
    except (ValueError, RecursionError) as exc:  # bad or too deeply nested JSON, SesEventMalformed
        detail = str(exc) if isinstance(exc, SesEventMalformed) else "its Message is not JSON"
        abort(400, f"The SNS notification is not an SES event: {detail}")
    except SQLAlchemyError:
        log.exception("SES event not applied: database unavailable")
        abort(503, "The database is unavailable; Amazon SNS will deliver this again.")
    for delivery_id in bounced:
        queue_or_keep(alert_admins, delivery_id)
    return jsonify(status="applied", bounced=bounced)
