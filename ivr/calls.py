"""Who a call is for, and the call row the voicemail pipeline needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Call, Outage, Subscriber
from app.phone import normalise_or_none


def find_subscriber(
    session: Session, to: str | None, forwarded_from: str | None
) -> Subscriber | None:
    """The subscriber called: matched on `To`, else on `ForwardedFrom` (carrier forwarding)."""
    for raw in (to, forwarded_from):
        number = normalise_or_none(raw)
        if number:
            subscriber = session.scalar(select(Subscriber).where(Subscriber.number == number))
            if subscriber:
                return subscriber
    return None


def record_call(
    session: Session,
    form: dict[str, str],
    subscriber: Subscriber | None,
    outage: Outage | None,
    outcome: str,
) -> Call:
    """Store the call once per CallSid; Twilio retrying the webhook updates the same row."""
    call = session.scalar(select(Call).where(Call.call_sid == form["CallSid"]))
    if call is None:
        call = Call(call_sid=form["CallSid"])
        session.add(call)
    call.subscriber_id = subscriber.id if subscriber else None
    call.outage_id = outage.id if outage else None
    call.from_number = form.get("From")
    call.to_number = form.get("To")
    call.forwarded_from = form.get("ForwardedFrom")
    call.outcome = outcome
    call.status = form.get("CallStatus")
    try:
        session.commit()
    except IntegrityError:  # the same CallSid raced in from a retried webhook
        session.rollback()
        return record_call(session, form, subscriber, outage, outcome)
    return call


def call_for(session: Session, call_sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == call_sid))
