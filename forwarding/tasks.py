"""The email jobs: send one delivery (through the provider `providers.py` picks), alert admins."""

from __future__ import annotations

import structlog
from flask import current_app

from app.extensions import db, jobs, mailer, storage
from app.jobs import job
from app.models import AttemptOutcome, Delivery, Outage, Subscriber
from voicemail.listen import listen_url

from .alerts import send_alert, should_alert
from .attempts import FINAL_STATES, begin_attempt, finish_attempt, give_up
from .mailer import Mailer, MailError, PermanentMailError
from .providers import provider_for
from .voicemail_email import VoicemailContext, compose

log = structlog.get_logger(__name__)


@job("email", timeout=120, retry_intervals=(10, 30, 60, 120, 300, 600))
def send_voicemail_email(delivery_id: int) -> None:
    """Email one voicemail to one address, recording the attempt and the provider's answer.

    Idempotent outside one window: a delivery already accepted is never sent again, and two jobs
    for one delivery never both send it; a worker killed between the relay's 250 and the commit
    leaves it `sending`, and it is resent with the same Message-ID through the same provider.
    Transient failures raise (the job's retries are the backoff); after
    BACKLINE_MAIL_FALLBACK_AFTER of them on the primary, MAIL_FALLBACK_URL carries it.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.state in FINAL_STATES:
        return
    voicemail = delivery.voicemail
    structlog.contextvars.bind_contextvars(
        recording_sid=voicemail.recording_sid, call_sid=voicemail.call_sid, delivery_id=delivery_id
    )
    message = compose(delivery, _context(delivery), current_app.config["MAIL_FROM"])
    provider = provider_for(delivery)
    attempt = begin_attempt(delivery, provider.name, message["Message-ID"])
    if attempt is None:
        log.info("another job claimed this delivery first")
        return
    try:
        answer = provider.send(message)
    except PermanentMailError as exc:
        finish_attempt(delivery, attempt, AttemptOutcome.PERMANENT, str(exc))
        _alert_now(delivery, provider)
        return
    except MailError as exc:
        finish_attempt(delivery, attempt, AttemptOutcome.TRANSIENT, str(exc))
        if delivery.attempts >= current_app.config["BACKLINE_MAX_DELIVERY_ATTEMPTS"]:
            give_up(delivery, f"gave up after {delivery.attempts} attempts; last answer: {exc}")
            _alert_now(delivery, provider)
            return
        raise
    finish_attempt(delivery, attempt, AttemptOutcome.ACCEPTED, answer)


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def alert_admins(delivery_id: int) -> None:
    """Email ADMIN_EMAIL that a delivery failed or bounced for good.

    At least once: a worker killed while sending may repeat the alert.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is not None and should_alert(delivery):
        send_alert(delivery, mailer())


def _alert_now(delivery: Delivery, provider: Mailer) -> None:
    """Alert through the provider that just answered; queue a retry if that fails."""
    if not should_alert(delivery):
        return
    try:
        send_alert(delivery, provider)
    except MailError as exc:
        log.warning("admin alert not sent; queued to retry", error=str(exc))
        jobs.enqueue(alert_admins, delivery.id)


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
        listen_url=listen_url(voicemail.id),
        link_days=current_app.config["BACKLINE_LISTEN_LINK_DAYS"],
        attachment_max_bytes=current_app.config["BACKLINE_ATTACHMENT_MAX_BYTES"],
    )
