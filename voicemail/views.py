"""Twilio's recording status callback: store it once, queue the work, answer fast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from flask import Blueprint, Response, abort, current_app, g, request

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db
from app.models import VoicemailStatus, utcnow
from app.resilience.pending import handles, keep
from app.resilience.pending_jobs import queue_or_keep
from app.twilio.form import is_sid, same_sid
from app.twilio.signature import twilio_only
from forwarding.voicemail_alerts import alert_voicemail_failed
from voicemail import transcription
from voicemail.intake import COMPLETED, NOT_RECORDED, store_callback
from voicemail.tasks import process_voicemail

bp = Blueprint("voicemail", __name__, url_prefix="/voicemail")
log = structlog.get_logger(__name__)


@bp.before_request
def _bounded_database() -> None:
    g.call_path = True  # Twilio must get its 204 fast, database or not


TRANSCRIPT_MAX_CHARS = 20_000
IDEMPOTENCY_TOKEN_MAX = 128  # the voicemails.idempotency_token column


@bp.post("/recording-status")
@twilio_only
def recording_status() -> Response:
    """Store a completed recording once per RecordingSid and queue its processing; one that
    Twilio reports absent or failed is stored as failed and the admins are alerted."""
    form = request.form
    status = form.get("RecordingStatus", "")
    structlog.contextvars.bind_contextvars(
        call_sid=form.get("CallSid"), recording_sid=form.get("RecordingSid")
    )
    if status != COMPLETED and status not in NOT_RECORDED:
        log.info("recording status ignored", recording_status=status or "missing")
        return Response(status=204)
    _validate()
    callback = {
        "form": form.to_dict(),
        "token": _idempotency_token(),
        "received_at": utcnow().isoformat(),  # the message's time if nothing better is known
    }
    try:
        db.guarded(lambda: accept_callback(callback))
    except DatabaseUnavailable:
        keep("recording", callback)  # applied, and the voicemail processed, once it is back
        log.warning("database unavailable; recording callback kept for later")
    return Response(status=204)


@handles("recording")
def accept_callback(callback: dict[str, Any]) -> None:
    """Store the callback once and queue the voicemail's processing, or the admins' alert
    about a recording Twilio did not make (idempotent).

    With Redis away the job is kept for later: the callback still answers at once.
    """
    received = callback.get("received_at")
    voicemail, created = store_callback(
        db.session(),
        callback["form"],
        callback["token"],
        datetime.fromisoformat(received) if received else None,
    )
    if created and voicemail.status == VoicemailStatus.FAILED:
        queue_or_keep(alert_voicemail_failed, voicemail.id)
        log.warning("recording not made", voicemail_id=voicemail.id, reason=voicemail.error)
    elif created:
        queue_or_keep(process_voicemail, voicemail.id)
        log.info("voicemail received", voicemail_id=voicemail.id)
    else:
        log.info("repeated recording callback ignored", voicemail_id=voicemail.id)


@bp.post("/transcription")
@twilio_only
def transcription_callback() -> Response:
    """Twilio's transcript of a recording: keep it; the voicemail's emails stop waiting."""
    form = request.form
    if not is_sid(form.get("RecordingSid"), "RE"):
        abort(400, "RecordingSid is missing or is not a Twilio recording SID (RE + 32 hex digits).")
    structlog.contextvars.bind_contextvars(recording_sid=form["RecordingSid"])
    payload = {
        "RecordingSid": form["RecordingSid"],
        "TranscriptionStatus": form.get("TranscriptionStatus", ""),
        "TranscriptionText": form.get("TranscriptionText", "").replace("\x00", "")[
            :TRANSCRIPT_MAX_CHARS
        ],
    }
    try:
        db.guarded(lambda: transcription.store_transcription(payload))
    except DatabaseUnavailable:
        keep("transcription", payload)
    return Response(status=204)


def _idempotency_token() -> str | None:
    """Twilio's I-Twilio-Idempotency-Token, when it is one the voicemails table can hold.

    The header is not covered by the signature: a malformed one is ignored, and the
    RecordingSid alone keeps the callback from being stored twice.
    """
    token = request.headers.get("I-Twilio-Idempotency-Token", "").strip()
    if not token or len(token) > IDEMPOTENCY_TOKEN_MAX or not token.isprintable():
        return None
    return token


def _validate() -> None:
    get = request.form.get
    if not is_sid(get("RecordingSid"), "RE"):
        abort(400, "RecordingSid is missing or is not a Twilio recording SID (RE + 32 hex digits).")
    if not is_sid(get("CallSid"), "CA"):
        abort(400, "CallSid is missing or is not a Twilio call SID (CA + 32 hex digits).")
    account = get("AccountSid", "")
    if not is_sid(account, "AC") or not same_sid(account, current_app.config["TWILIO_ACCOUNT_SID"]):
        abort(400, "AccountSid does not name this Backline's Twilio account.")


# Imported last: it adds the listen-link route to `bp`.
from voicemail import listen  # noqa: E402, F401
