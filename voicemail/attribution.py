"""Whose voicemail is it? The call row says; for a call Backline never saw, Twilio's Calls API.

Failing both, the voicemail has no subscriber and goes to ADMIN_EMAIL: nobody's message is lost.

A voicemail belongs to one outage, the one its caller heard, so that an outage summary counts it
once (several outages may cover the subscriber; app.coverage). The call row knows it; otherwise
it is the outage the caller would have heard at the time of the call, not when the voicemail is
processed, which may be after that outage or another one ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.extensions import db
from app.core.phone import normalise_or_none
from app.models import Call, Subscriber, Voicemail
from app.outages.lifecycle import outage_at
from app.twilio.rest import CallFacts, TwilioApiError, twilio_rest

log = structlog.get_logger(__name__)


def attribute_unknown_call(voicemail: Voicemail) -> None:
    """Fill in subscriber, caller and outage when the call row does not name a subscriber.

    That happens for calls Backline never saw (a missed webhook: ask Twilio's Calls API) and for
    calls answered while the subscriber could not be looked up (the database was down).
    """
    if voicemail.subscriber_id is not None:
        return
    call = _call_details(voicemail)
    if call is None:
        return
    voicemail.caller_number = voicemail.caller_number or call.caller
    subscriber = _subscriber_for(call.to, call.forwarded_from)
    if subscriber is not None:
        voicemail.subscriber_id = subscriber.id
        moment, within = _call_time(voicemail, call)
        outage = outage_at(db.session(), subscriber, moment, within)
        voicemail.outage_id = voicemail.outage_id or (outage.id if outage else None)


def _call_time(voicemail: Voicemail, call: CallFacts) -> tuple[datetime, timedelta]:
    """When the call began, and to what precision: its row (exact), or Twilio's `start_time` (to
    the second); else when the recording arrived."""
    if call.start_time is None:
        return voicemail.recorded_at, timedelta(0)
    return call.start_time, timedelta(0) if call.exact else timedelta(seconds=1)


def _call_details(voicemail: Voicemail) -> CallFacts | None:
    row = db.session.get(Call, voicemail.call_id) if voicemail.call_id else None
    if row is not None:
        return CallFacts(
            row.to_number, row.from_number, row.forwarded_from, row.created_at, exact=True
        )
    try:
        with twilio_rest(current_app.config) as api:
            found = api.call(voicemail.call_sid)
    except TwilioApiError as exc:
        log.warning(
            "could not look the call up at Twilio; the admins get the voicemail", error=str(exc)
        )
        return None
    if found is None:
        log.warning("Twilio does not know this call; the admins get the voicemail")
    return found


def _subscriber_for(*raw_numbers: str | None) -> Subscriber | None:
    for raw in raw_numbers:
        number = normalise_or_none(raw)
        if number:
            found = db.session.scalar(select(Subscriber).where(Subscriber.number == number))
            if found:
                return found
    return None
