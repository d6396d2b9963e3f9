"""Sending one notice SMS: opt-outs first, then the providers in order, committed per message.

`deliver_sms()` is what the notice pacing calls for each pending SMS. A claim (pending → sending,
a compare-and-set) makes sure two workers never both send one message. A refusal is final and is
never taken to the next provider; an opt-out is recorded in `opt_outs`, so neither provider is
asked about that number again. When every provider fails, the message goes back to `pending` for
a later pass, and after MAX_SMS_ATTEMPTS it is `failed`.

A message Twilio reported undelivered is marked for the fallback by the status callback and sent
once more by `resend_sms_on_fallback`, through the providers after the one that failed only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.core.jobs import job
from app.core.phone import last_four
from app.models import Channel, MessageState, NoticeMessage, OptOut, utcnow
from app.outages.coverage import NOTHING_TRUE
from app.outages.notices.text import sms_body
from forwarding.sms import SmsProviderError, SmsRefused, SmsSender, SnsSms, sms_providers

log = structlog.get_logger(__name__)

MAX_SMS_ATTEMPTS = 5  # passes over one message in which every provider failed; then `failed`
OPTED_OUT = "opted out"
NO_PROVIDER = (
    "no SMS provider is configured (TWILIO_MESSAGING_SERVICE_SID or SMS_FROM, SMS_FALLBACK_URL)"
)
NO_FALLBACK = "undelivered by Twilio, and no fallback provider is configured (SMS_FALLBACK_URL)"


def deliver_sms(message: NoticeMessage, body: str | None) -> None:
    """Send one pending SMS through the first provider that takes it; commit the outcome.

    No body means nothing true is left to say to that number (app.coverage): withdrawn, unsent.
    """
    with structlog.contextvars.bound_contextvars(
        notice_message_id=message.id, to=last_four(message.address)
    ):
        if message.state != MessageState.PENDING:
            return
        if body is None:
            compare_and_set(
                message, MessageState.PENDING, state=MessageState.WITHDRAWN, last_error=NOTHING_TRUE
            )
            log.info("SMS withdrawn: nothing in it is still true and new")
            return
        _deliver(message, body)


def _deliver(message: NoticeMessage, body: str) -> None:
    if is_opted_out(message.address):
        if compare_and_set(
            message, MessageState.PENDING, state=MessageState.REFUSED, last_error=OPTED_OUT
        ):
            log.info("SMS not sent: the number opted out")
        return
    if not compare_and_set(
        message,
        MessageState.PENDING,
        state=MessageState.SENDING,
        attempts=NoticeMessage.attempts + 1,
        claimed_at=utcnow(),  # the lease: the notice sweeper frees a claim its worker lost
    ):
        log.info("another worker claimed this SMS first")
        return
    errors: list[str] = []
    # A message Twilio reported undelivered is not given to Twilio again.
    providers = fallback_providers(message) if message.retried_on_fallback else sms_providers()
    for provider in providers:
        try:
            provider_id = provider.send(message.address, body)
        except SmsRefused as exc:
            _refused(message, provider.name, exc)
            return
        except SmsProviderError as exc:
            log.warning(
                "SMS provider failed; trying the next", provider=provider.name, error=str(exc)
            )
            errors.append(f"{provider.name}: {exc}")
            continue
        _sent(message, provider.name, provider_id)
        return
    _unsent(message, errors or [NO_FALLBACK if message.retried_on_fallback else NO_PROVIDER])


def retry_on_fallback(message: NoticeMessage, body: str | None) -> None:
    """Send a message Twilio reported undelivered once more, through the fallback providers."""
    if not message.retried_on_fallback:
        raise ValueError("only a message marked for the fallback is resent through it")
    deliver_sms(message, body)


def body_for(message: NoticeMessage) -> str | None:
    """The SMS text of a notice message, rebuilt (the status callback does not carry it); None
    when nothing in it is true any more."""

    return sms_body(message)


@job("notices", timeout=60, retry_intervals=(30, 120, 600))
def resend_sms_on_fallback(message_id: int) -> None:
    """Resend, through the second provider, an SMS the status callback marked for it.

    Idempotent: only a message still marked and pending is sent, and the claim lets one job send
    it. Raises while every fallback provider fails, so the job is retried (and, after
    MAX_SMS_ATTEMPTS, the message is failed and left alone).
    """
    message = db.session.get(NoticeMessage, message_id)
    if message is None or not message.retried_on_fallback:
        return
    if message.state != MessageState.PENDING:
        return
    retry_on_fallback(message, body_for(message))
    if message.state == MessageState.PENDING:
        raise SmsProviderError(f"SMS {message_id} not resent yet: {message.last_error}")


def is_opted_out(address: str) -> bool:
    """Whether this number opted out (at a provider or through an unsubscribe link)."""
    return db.session.get(OptOut, (Channel.SMS.value, address)) is not None


def record_opt_out(address: str, source: str) -> None:
    """Remember that this number must get no more SMS notices, from any provider; commits."""
    if not is_opted_out(address):
        db.session.add(OptOut(channel=Channel.SMS.value, address=address, source=source))
    try:
        db.session.commit()
    except IntegrityError:  # another worker recorded it meanwhile
        db.session.rollback()
    log.info("SMS opt-out recorded", source=source, to=last_four(address))


def import_opt_outs(numbers: Iterable[str], source: str) -> int:
    """Record opt-outs a provider lists (SNS's opted-out numbers); return how many were new."""
    new = 0
    for number in numbers:
        if not is_opted_out(number):
            record_opt_out(number, source)
            new += 1
    return new


def fallback_providers(message: NoticeMessage) -> list[SmsSender]:
    """The providers that may carry a message its first provider reported undelivered."""
    return [p for p in sms_providers() if p.name != message.provider]


def mark_for_fallback(message: NoticeMessage, reason: str) -> bool:
    """Put a sent message back to pending for one resend on the fallback; False if done before."""
    return compare_and_set(
        message,
        MessageState.SENT,
        NoticeMessage.retried_on_fallback.is_(False),
        state=MessageState.PENDING,
        retried_on_fallback=True,
        last_error=reason,
    )


def compare_and_set(
    message: NoticeMessage, expected: MessageState, *conditions: Any, **values: Any
) -> bool:
    """Apply `values` only if the message is still `expected` (and `conditions` hold); commit."""
    session = db.session()
    moved = cast(
        CursorResult[object],
        session.execute(
            update(NoticeMessage)
            .where(NoticeMessage.id == message.id, NoticeMessage.state == expected, *conditions)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        ),
    )
    if moved.rowcount != 1:
        session.rollback()
        return False
    session.commit()
    return True


def _sent(message: NoticeMessage, provider: str, provider_id: str) -> None:
    message.state, message.provider, message.provider_id = MessageState.SENT, provider, provider_id
    message.sent_at, message.last_error = utcnow(), None
    db.session.commit()
    log.info("SMS sent", provider=provider, provider_id=provider_id)


def _refused(message: NoticeMessage, provider: str, refusal: SmsRefused) -> None:
    message.state, message.provider, message.last_error = (
        MessageState.REFUSED,
        provider,
        refusal.reason,
    )
    db.session.commit()
    log.warning("SMS refused for the recipient", provider=provider, reason=refusal.reason)
    if refusal.opted_out:
        record_opt_out(message.address, provider)


def _unsent(message: NoticeMessage, errors: list[str]) -> None:
    give_up = message.attempts >= MAX_SMS_ATTEMPTS
    message.state = MessageState.FAILED if give_up else MessageState.PENDING
    message.last_error = "; ".join(errors)
    db.session.commit()
    log.warning(
        "SMS failed on every provider",
        attempts=message.attempts,
        gave_up=give_up,
        error=message.last_error,
    )


def import_sns_opt_outs() -> int:
    """Copy the numbers SNS lists as opted out into `opt_outs` (a periodic job); return how many.

    Twilio tells Backline of an opt-out only when it refuses a send; SNS keeps a list, read here
    so that a STOP sent to the SNS sender also stops Twilio from texting that number.
    """

    for provider in sms_providers():
        if isinstance(provider, SnsSms):
            return import_opt_outs(provider.opted_out_numbers(), "sns")
    return 0
