"""The email job: send one delivery, marking it `sending` before and `accepted` after."""

from __future__ import annotations

import structlog
from flask import current_app

from app.extensions import db, mailer, storage
from app.jobs import job
from app.models import Delivery, DeliveryState, Outage, Subscriber, utcnow

from .mailer import MailError, PermanentMailError
from .voicemail_email import VoicemailContext, compose

log = structlog.get_logger(__name__)

FINAL_STATES = (DeliveryState.ACCEPTED, DeliveryState.BOUNCED, DeliveryState.FAILED)


@job("email", timeout=120, retry_intervals=(10, 30, 60, 120, 300, 600))
def send_voicemail_email(delivery_id: int) -> None:
    """Email one voicemail to one address.

    Idempotent outside one window: a delivery already accepted is never sent again; a worker
    killed between the relay's 250 and the commit resends with the same Message-ID.
    """
    session = db.session()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.state in FINAL_STATES:
        return
    voicemail = delivery.voicemail
    structlog.contextvars.bind_contextvars(
        recording_sid=voicemail.recording_sid, call_sid=voicemail.call_sid
    )
    message = compose(delivery, _context(delivery), current_app.config["MAIL_FROM"])
    backend = mailer()
    delivery.state, delivery.provider = DeliveryState.SENDING, backend.name
    delivery.message_id = message["Message-ID"]
    delivery.attempts += 1
    session.commit()
    try:
        answer = backend.send(message)
    except PermanentMailError as exc:
        _finish(delivery, DeliveryState.FAILED, str(exc))
        return
    except MailError as exc:
        _finish(delivery, DeliveryState.PENDING, str(exc))
        raise
    _finish(delivery, DeliveryState.ACCEPTED, answer)


def _context(delivery: Delivery) -> VoicemailContext:
    voicemail = delivery.voicemail
    session = db.session()
    subscriber = (
        session.get(Subscriber, voicemail.subscriber_id) if voicemail.subscriber_id else None
    )
    outage = session.get(Outage, voicemail.outage_id) if voicemail.outage_id else None
    return VoicemailContext(
        voicemail=voicemail,
        subscriber=subscriber,
        outage=outage,
        mp3=storage().get(voicemail.mp3_key or ""),
        default_timezone=current_app.config["BACKLINE_DEFAULT_TIMEZONE"],
    )


def _finish(delivery: Delivery, state: DeliveryState, answer: str) -> None:
    delivery.state = state
    if state == DeliveryState.ACCEPTED:
        delivery.accepted_at = utcnow()
        delivery.last_error = None
    else:
        delivery.last_error = answer
    db.session.commit()
    log.info(
        "voicemail email", delivery_id=delivery.id, state=state.value, provider=delivery.provider
    )
