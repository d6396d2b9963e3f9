"""The email jobs: send one delivery (through the provider `providers.py` picks), alert admins."""

from __future__ import annotations

from email.utils import parseaddr

import structlog
from flask import current_app

from app.core.extensions import db, jobs, mailer, storage
from app.core.jobs import job
from app.core.mail import Envelope, Mailer, MailError, PermanentMailError
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, Outage, Subscriber
from app.security.listen_links import listen_url
from forwarding.alerts import send_alert, should_alert
from forwarding.attempts import FINAL_STATES, RETRY_INTERVALS, begin_attempt, finish_attempt
from forwarding.provider_alerts import alert_provider_refusing
from forwarding.provider_health import delayed_deliveries, hold_if_refusing_all
from forwarding.providers import route
from forwarding.voicemail_email import VoicemailContext, compose

log = structlog.get_logger(__name__)

ALERTED_STATES = (DeliveryState.FAILED, DeliveryState.BOUNCED)


class ProviderRefusing(MailError):
    """The provider refused this address as it refuses everyone now; the job retries it."""


@job("email", timeout=120, retry_intervals=RETRY_INTERVALS)
def send_voicemail_email(delivery_id: int) -> None:
    """Email one voicemail to one address, recording the attempt and the provider's answer.

    Idempotent outside one window: a delivery already accepted is never sent again, and two jobs
    for one delivery never both send it; a worker killed between the relay's 250 and the commit
    leaves it `sending`, and it is resent with the same Message-ID through the same provider.
    Transient failures leave it `delayed` and raise (the job's retries are the backoff, the
    sweeper's re-queues its tail): it is never given up. After BACKLINE_MAIL_FALLBACK_AFTER of
    them on the primary, or while the primary refuses everyone, MAIL_FALLBACK_URL carries it.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.state in FINAL_STATES:
        return
    voicemail = delivery.voicemail
    structlog.contextvars.bind_contextvars(
        recording_sid=voicemail.recording_sid, call_sid=voicemail.call_sid, delivery_id=delivery_id
    )
    message = compose(delivery, _context(delivery), current_app.config["MAIL_FROM"])
    chosen = route(delivery)
    attempt = begin_attempt(delivery, chosen.provider.name, message["Message-ID"])
    if attempt is None:
        log.info("another job claimed this delivery first")
        return
    try:
        answer = chosen.provider.send(message, _envelope(delivery))
    except PermanentMailError as exc:
        finish_attempt(delivery, attempt, AttemptOutcome.PERMANENT, str(exc))
        _refused(delivery, attempt, chosen.provider)
        return
    except MailError as exc:
        finish_attempt(delivery, attempt, AttemptOutcome.TRANSIENT, str(exc))
        raise
    finish_attempt(delivery, attempt, AttemptOutcome.ACCEPTED, answer)
    if chosen.probing:
        log.warning("mail provider accepts again; sending what waited", provider=attempt.provider)
        _queue(delayed_deliveries())


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def alert_admins(delivery_id: int) -> None:
    """Email ADMIN_EMAIL that a delivery failed or bounced for good.

    At least once: a worker killed while sending may repeat the alert. A delivery sent again
    meanwhile (its provider turned out to be refusing everyone) is no longer alerted about.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.state not in ALERTED_STATES:
        return
    if should_alert(delivery):
        send_alert(delivery, mailer())


def _refused(delivery: Delivery, attempt: DeliveryAttempt, provider: Mailer) -> None:
    """A 5xx: final for this address, unless the provider is refusing everyone (then raise)."""
    held = hold_if_refusing_all(attempt)
    if held is None:
        _alert_now(delivery, provider)
        return
    if held.episode_started:
        jobs.enqueue(alert_provider_refusing, provider.name)
    _queue([i for i in held.delivery_ids if i != delivery.id])
    raise ProviderRefusing(
        f"{provider.name} is refusing every recipient; delivery {delivery.id} waits for a retry"
    )


def _queue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        jobs.enqueue(send_voicemail_email, delivery_id)


def _alert_now(delivery: Delivery, provider: Mailer) -> None:
    """Alert through the provider that just answered; queue a retry if that fails."""
    if not should_alert(delivery):
        return
    try:
        send_alert(delivery, provider)
    except MailError as exc:
        log.warning("admin alert not sent; queued to retry", error=str(exc))
        jobs.enqueue(alert_admins, delivery.id)


def _envelope(delivery: Delivery) -> Envelope:
    """MAIL FROM and RCPT TO as known: the relay gets the message's bytes as written."""
    return Envelope(parseaddr(current_app.config["MAIL_FROM"])[1], [delivery.address])


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
