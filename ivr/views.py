"""Twilio voice webhooks: `/ivr/voice` and the action URLs of its TwiML."""

from __future__ import annotations

import re

import structlog
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from app.extensions import db
from app.models import utcnow
from app.outages import outage_for
from app.phone import last_four
from app.twilio_signature import twilio_only

from . import twiml
from .calls import call_for, find_subscriber, record_call

bp = Blueprint("ivr", __name__, url_prefix="/ivr")
log = structlog.get_logger(__name__)

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
# Dial outcomes after which the caller should not be offered voicemail.
DIAL_ENDED = {"completed", "answered", "canceled"}
CALL_ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


def _call_sid() -> str:
    sid = request.form.get("CallSid", "")
    if not CALL_SID.match(sid):
        abort(400, "CallSid is missing or is not a Twilio call SID (CA followed by 32 hex digits).")
    structlog.contextvars.bind_contextvars(call_sid=sid)
    return sid


def _language(subscriber: object | None) -> str:
    language = getattr(subscriber, "language", None)
    return language or current_app.config["BACKLINE_DEFAULT_LANGUAGE"]


@bp.post("/voice")
@twilio_only
def voice() -> Response:
    """A call to a subscriber's number: pass it through, or answer it during an outage."""
    _call_sid()
    form = request.form.to_dict()
    session = db.session()
    subscriber = find_subscriber(session, form.get("To"), form.get("ForwardedFrom"))
    outage = outage_for(session, subscriber)
    caller = twiml.Caller(subscriber, _language(subscriber))
    number = subscriber.number if subscriber else form.get("To", "")
    dial = None if outage else twiml.pass_through(number)
    outcome = "pass-through" if dial else "ivr"
    record_call(session, form, subscriber, outage, outcome)
    log.info(
        "call answered",
        outcome=outcome,
        to=last_four(form.get("To")),
        subscriber_id=subscriber.id if subscriber else None,
        outage_id=outage.id if outage else None,
    )
    return _twiml(dial or twiml.outage_answer(caller, outage))


@bp.post("/dial-result")
@twilio_only
def dial_result() -> Response:
    """The pass-through ended: hang up if it connected, else take a voicemail."""
    sid = _call_sid()
    status = request.form.get("DialCallStatus", "")
    session = db.session()
    call = call_for(session, sid)
    if status in DIAL_ENDED:
        return _twiml(twiml.hang_up())
    subscriber = find_subscriber(session, request.form.get("To"), request.form.get("ForwardedFrom"))
    if call:
        call.outcome = "voicemail"
        session.commit()
    log.info("pass-through failed, taking a voicemail", dial_status=status)
    return _twiml(twiml.voicemail_answer(twiml.Caller(subscriber, _language(subscriber))))


@bp.post("/fallback")
@twilio_only
def fallback() -> Response:
    """Twilio's Fallback URL (or a SIP trunk's Disaster Recovery URL): the primary path failed.

    Never pass the call back to the primary here; answer it. If the database cannot be read,
    the caller still gets a greeting and the recording still reaches the callback.
    """
    _call_sid()
    form = request.form.to_dict()
    log.warning("fallback answered", error_code=form.get("ErrorCode"))
    try:
        session = db.session()
        subscriber = find_subscriber(session, form.get("To"), form.get("ForwardedFrom"))
        outage = outage_for(session, subscriber)
        record_call(session, form, subscriber, outage, "fallback")
    except SQLAlchemyError:
        db.session.rollback()
        log.error("database unreachable on the fallback path; answering without it")
        subscriber = outage = None
    caller = twiml.Caller(subscriber, _language(subscriber))
    return _twiml(twiml.outage_answer(caller, outage))


@bp.post("/call-status")
@twilio_only
def call_status() -> Response:
    """Twilio's status callback: store how the call ended."""
    sid = _call_sid()
    session = db.session()
    call = call_for(session, sid)
    if call is not None:
        call.status = request.form.get("CallStatus") or call.status
        if call.status in CALL_ENDED:
            call.ended_at = utcnow()
        session.commit()
    return Response(status=204)


@bp.post("/after-record")
@twilio_only
def after_record() -> Response:
    """The caller finished recording: thank them and hang up."""
    _call_sid()
    session = db.session()
    subscriber = find_subscriber(session, request.form.get("To"), request.form.get("ForwardedFrom"))
    return _twiml(twiml.after_record(_language(subscriber)))
