"""Twilio voice webhooks: `/ivr/voice`, `/ivr/fallback` and where a pass-through ends."""

from __future__ import annotations

import structlog
from flask import Blueprint, Response, g, request
from twilio.twiml.voice_response import VoiceResponse

from app.core.phone import last_four
from app.models import utcnow
from app.twilio.fallback_requests import SOURCE_PARAMETER, FallbackCause, classify
from app.twilio.fallback_requests import error_code as twilio_error_code
from app.twilio.form import whole_number
from app.twilio.signature import twilio_only
from ivr import twiml
from ivr.call_end import call_ended
from ivr.calls import note_call, note_primary_failure
from ivr.context import CallContext, call_context, call_sid
from ivr.context import twiml as as_twiml
from ivr.fallback_report import report_not_counted
from ivr.wording import say

bp = Blueprint("ivr", __name__, url_prefix="/ivr")
log = structlog.get_logger(__name__)

DIAL_CONNECTED = {"completed", "answered"}
MAX_SIP_CODE = 699  # SIP status codes are 100 to 699


@bp.before_request
def _bounded_database() -> None:
    g.call_path = True  # short statement timeouts: a sick database must not hold a call


@bp.post("/voice")
@twilio_only
def voice() -> Response:
    """A call to a subscriber's number: pass it through, or answer it during an outage."""
    ctx = call_context()
    if ctx.outage and ctx.outage.answers_at_once:
        return _answer(ctx, "ivr", twiml.outage_answer(ctx.caller, ctx.outage, utcnow()))
    dial = twiml.dial_primary(ctx.called_number)
    if dial is not None:
        return _answer(ctx, "pass-through", dial)
    if ctx.outage:
        return _answer(ctx, "ivr", twiml.outage_answer(ctx.caller, ctx.outage, utcnow()))
    return _answer(ctx, "voicemail", twiml.voicemail_answer(ctx.caller))


@bp.post("/fallback")
@twilio_only
def fallback() -> Response:
    """Twilio's Fallback URL or a SIP trunk's Disaster Recovery URL: the usual path failed.

    Callers get the same answer either way. Only the trunk's path (`?source=trunk`) is evidence
    that the primary is down; a number's Fallback URL means Backline's own webhook failed (see
    app/fallback_requests.py). Never dial the primary from here. Everything below works
    without the database.
    """
    ctx = call_context()
    error_code = request.form.get("ErrorCode")
    code = twilio_error_code(error_code)
    cause = classify(request.args.get(SOURCE_PARAMETER), code)
    if cause is FallbackCause.PRIMARY:
        note_primary_failure(ctx.call_sid, "trunk", error_code=error_code)
    else:
        report_not_counted(cause, code, request.form.get("ErrorUrl"))
    return _answer(
        ctx,
        "fallback",
        twiml.outage_answer(ctx.caller, ctx.outage, utcnow()),
        error_code=error_code,
    )


@bp.post("/dial-result")
@twilio_only
def dial_result() -> Response:
    """The pass-through ended: done if it connected, else fail over."""
    ctx = call_context()
    status = request.form.get("DialCallStatus", "")
    sip_code = _sip_code()
    note_call(ctx.call_sid, dial_status=status, sip_code=sip_code)
    if status in DIAL_CONNECTED or status == "canceled":
        return as_twiml(twiml.hang_up())
    if status == "failed" and (sip_code is None or sip_code >= 500 or sip_code == 408):
        note_primary_failure(ctx.call_sid, "dial", sip_code=sip_code)
    return _fail_over(ctx)


@bp.post("/record")
@twilio_only
def record() -> Response:
    """The menu got no key: take the message."""
    ctx = call_context()
    note_call(ctx.call_sid, menu_choice="none")
    return as_twiml(twiml.record(ctx.caller))


@bp.post("/after-record")
@twilio_only
def after_record() -> Response:
    """The caller finished recording: thank them and hang up (a caller who hung up is gone)."""
    ctx = call_context()
    status = request.form.get("CallStatus") or None
    ended = {"status": status, "ended_at": utcnow()} if call_ended(status) else {}
    note_call(ctx.call_sid, outcome="voicemail", **ended)
    return as_twiml(twiml.after_record(ctx.caller))


@bp.post("/call-status")
@twilio_only
def call_status() -> Response:
    """Twilio's status callback: store how the call ended."""
    sid = call_sid()
    status = request.form.get("CallStatus") or None
    fields: dict[str, object] = {"status": status}
    duration = whole_number(request.form.get("CallDuration"))
    if duration is not None:
        fields["duration"] = duration
    if call_ended(status):
        fields["ended_at"] = utcnow()
    note_call(sid, **fields)
    return Response(status=204)


def _fail_over(ctx: CallContext) -> Response:
    if ctx.outage:
        return _answer(ctx, "ivr", twiml.outage_answer(ctx.caller, ctx.outage, utcnow()))
    if ctx.caller.has_backup:
        return _answer(ctx, "backup", twiml.dial_backup(ctx.caller))
    before = f"{ctx.caller.greeting} {say('not_available', ctx.caller.language)}"
    return _answer(ctx, "voicemail", twiml.record(ctx.caller, before=before))


def _answer(
    ctx: CallContext, outcome: str, response: VoiceResponse | str, **extra: object
) -> Response:
    note_call(ctx.call_sid, outcome=outcome, **ctx.row(), **extra)
    log.info(
        "call answered",
        outcome=outcome,
        to=last_four(request.form.get("To")),
        subscriber_id=ctx.subscriber.id if ctx.subscriber else None,
        outage_id=ctx.outage.id if ctx.outage else None,
    )
    return as_twiml(response)


def _sip_code() -> int | None:
    return whole_number(request.form.get("DialSipResponseCode"), maximum=MAX_SIP_CODE)


from ivr import menu_views  # noqa: E402, F401  (the menu's routes live on this blueprint)
