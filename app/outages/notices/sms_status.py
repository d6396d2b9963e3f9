"""`/forwarding/sms-status`: Twilio's status callback for the notice SMS it carried.

- `delivered` (or `read`): the message is `delivered`.
- `undelivered` or `failed` with a recipient-level error code (opted out, landline, unreachable,
  blocked): `refused`, final; 21610 (opted out) also goes to `opt_outs`, honoured on SNS too.
- `undelivered` or `failed` for any other reason (carrier filtering, queue overflow, an unknown
  error): sent once more through the fallback provider (SNS) by a job, when one is configured;
  otherwise, or when that was done already, `failed` with the error code.
- Any other status (`queued`, `sent`...) changes nothing.

Each change is a compare-and-set from `sent`, so a repeated callback changes nothing twice and
resends nothing twice. A callback for a SID Backline does not know is acknowledged and ignored.
"""

from __future__ import annotations

import structlog
from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db
from app.models import MessageState, NoticeMessage
from app.outages.notices.sms_delivery import (
    compare_and_set,
    fallback_providers,
    mark_for_fallback,
    record_opt_out,
    resend_sms_on_fallback,
)
from app.resilience.pending_jobs import queue_or_keep
from app.twilio.form import is_sid, whole_number
from app.twilio.signature import twilio_only
from forwarding.sms import TWILIO_OPTED_OUT, TWILIO_RECIPIENT_ERRORS, TwilioSms

log = structlog.get_logger(__name__)

# Twilio posts here for every notice SMS (the URL predates this package, hence its prefix).
bp = Blueprint("notice_sms", __name__, url_prefix="/forwarding")

DELIVERED = ("delivered", "read")
NOT_DELIVERED = ("undelivered", "failed")


@bp.post("/sms-status")
@twilio_only
def sms_status() -> ResponseReturnValue:
    """Twilio's SMS status callback: record delivery, refusals, and resend undelivered ones."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower()
    if not is_sid(sid, "SM", "MM"):
        abort(400, "MessageSid must be SM or MM followed by 32 hexadecimal digits.")
    if not status:
        abort(400, "MessageStatus is required.")
    code = request.form.get("ErrorCode", "").strip()
    error_code = whole_number(code)
    if code and error_code is None:
        abort(400, "ErrorCode must be a whole number.")
    g.call_path = True  # Twilio's webhook: the bounded engine, and the breaker (no hung request)
    try:
        outcome = db.guarded(lambda: apply_sms_status(sid, status, error_code))
    except DatabaseUnavailable as exc:  # an outage: one line, no traceback each time
        log.error("SMS status not applied: database unavailable", message_sid=sid, error=str(exc))
        abort(503, "The database is unavailable; the status was not recorded.")
    except SQLAlchemyError:
        log.exception("SMS status not applied: database error", message_sid=sid)
        abort(503, "The database is unavailable; the status was not recorded.")
    return jsonify(status=outcome)


def apply_sms_status(sid: str, status: str, error_code: int | None) -> str:
    """Apply one status of the Twilio message `sid`; return what was done, in a word."""
    message = db.session.scalar(
        select(NoticeMessage).where(
            NoticeMessage.provider == TwilioSms.name, NoticeMessage.provider_id == sid
        )
    )
    if message is None:
        log.info("SMS status for a message Backline does not know; ignored", message_sid=sid)
        return "ignored"
    with structlog.contextvars.bound_contextvars(notice_message_id=message.id, message_sid=sid):
        if status in DELIVERED:
            done = compare_and_set(message, MessageState.SENT, state=MessageState.DELIVERED)
            return "delivered" if done else "unchanged"
        if status in NOT_DELIVERED:
            return _not_delivered(message, status, error_code)
        return "noted"


def _not_delivered(message: NoticeMessage, status: str, error_code: int | None) -> str:
    reason = f"twilio {status}" + (f" {error_code}" if error_code else "")
    if error_code in TWILIO_RECIPIENT_ERRORS:
        reason += f" ({TWILIO_RECIPIENT_ERRORS[error_code]})"
        if not compare_and_set(
            message, MessageState.SENT, state=MessageState.REFUSED, last_error=reason
        ):
            return "unchanged"
        log.warning("SMS refused for the recipient", reason=reason)
        if error_code == TWILIO_OPTED_OUT:
            record_opt_out(message.address, TwilioSms.name)
        return "refused"
    if fallback_providers(message) and mark_for_fallback(message, reason):
        log.warning("SMS not delivered by Twilio; resending through the fallback", reason=reason)
        queue_or_keep(resend_sms_on_fallback, message.id)
        return "resending"
    if compare_and_set(message, MessageState.SENT, state=MessageState.FAILED, last_error=reason):
        log.warning("SMS not delivered", reason=reason)
        return "failed"
    return "unchanged"
