"""The outage menu's webhooks: the key pressed, the backup number and its screening."""

from __future__ import annotations

from flask import Response, abort, request

from app.core.phone import normalise_or_none
from app.models import utcnow
from app.resilience.snapshot import directory
from app.twilio.form import whole_number
from app.twilio.signature import twilio_only
from ivr import twiml
from ivr.calls import backup_was_accepted, mark_backup_accepted, note_call
from ivr.context import call_context, call_sid, language_of
from ivr.context import twiml as as_twiml
from ivr.views import bp
from ivr.wording import say

MAX_CHOICE = 8  # the menu gathers one key; longer Digits are junk, kept short on the call row


def _visit() -> int:
    visit = whole_number(request.args.get("visit", "0"), maximum=twiml.MAX_MENU_VISITS)
    if visit is None:
        abort(400, "visit must be a small whole number.")
    return visit


@bp.post("/menu")
@twilio_only
def menu() -> Response:
    """A key pressed in the outage menu: 1 message, 2 backup number, 3 latest update."""
    ctx = call_context()
    visit = _visit()
    digit = request.form.get("Digits", "")
    choice = digit.replace("\x00", "")[:MAX_CHOICE] or "none"
    note_call(ctx.call_sid, menu_choice=choice, menu_visit=visit)
    if digit in ("", "1"):
        return as_twiml(twiml.record(ctx.caller))
    if digit == "2" and ctx.caller.has_backup:
        note_call(ctx.call_sid, outcome="backup")
        return as_twiml(twiml.dial_backup(ctx.caller))
    if digit == "3":
        return as_twiml(twiml.status_update(ctx.caller, ctx.outage, visit + 1, utcnow()))
    return as_twiml(twiml.menu(ctx.caller, visit + 1, before=say("invalid", ctx.caller.language)))


@bp.post("/backup-result")
@twilio_only
def backup_result() -> Response:
    """The backup number's call ended: done if its owner accepted, else take a message."""
    ctx = call_context()
    status = request.form.get("DialCallStatus", "")
    note_call(ctx.call_sid, dial_status=status)
    if status == "canceled":
        return as_twiml(twiml.hang_up())
    if status in ("completed", "answered") and backup_was_accepted(ctx.call_sid):
        return as_twiml(twiml.hang_up())
    note_call(ctx.call_sid, outcome="voicemail")
    return as_twiml(twiml.record(ctx.caller, before=say("backup_failed", ctx.caller.language)))


@bp.post("/screen")
@twilio_only
def screen() -> Response:
    """Played to whoever answers the backup number, before the caller is put through."""
    call_sid()
    number, callee = _screened()
    return as_twiml(twiml.screen(callee, number))


@bp.post("/screen-result")
@twilio_only
def screen_result() -> Response:
    """The backup callee pressed a key: 1 puts the caller through; anything else declines."""
    call_sid()
    parent = call_sid("ParentCallSid")
    _number, callee = _screened()
    if request.form.get("Digits") == "1":
        mark_backup_accepted(parent)
        return as_twiml(twiml.empty())
    return as_twiml(twiml.declined(callee))


def _screened() -> tuple[str, twiml.Caller]:
    number = normalise_or_none(request.args.get("number"))
    if number is None:
        abort(400, "number must be the screened subscriber's number.")
    subscriber = directory.subscriber(number)
    return number, twiml.Caller(subscriber, language_of(subscriber, request.args.get("language")))
