"""The email that tells ADMIN_EMAIL a mail provider is refusing every recipient.

Queued once, when the refusals show it (provider_health.py), and sent through the other provider
first: the one refusing everyone would likely refuse the admins too. At least once: a worker
killed while sending may repeat it. It is not sent once the provider accepts again.
"""

from __future__ import annotations

from email.message import EmailMessage

import structlog
from flask import current_app
from sqlalchemy import func, select

from app.core.extensions import db, mailer
from app.core.jobs import job
from app.core.mail import Mailer, MailError
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState
from forwarding.admin_email import admin_message
from forwarding.alerts import one_line
from forwarding.attempts import RETRY_CAP
from forwarding.provider_health import provider_state
from forwarding.providers import fallback

log = structlog.get_logger(__name__)


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def alert_provider_refusing(provider: str) -> None:
    """Tell the admins that `provider` refuses everyone, what Backline does, what to check."""
    config = current_app.config
    if not config.get("ADMIN_EMAIL"):
        log.error("mail provider refusing everyone and ADMIN_EMAIL is unset", provider=provider)
        return
    if not provider_state(provider).refusing_all:
        log.info("mail provider accepts again; its alert is no longer true", provider=provider)
        return
    message = compose_provider_alert(provider, config["ADMIN_EMAIL"], config["MAIL_FROM"])
    _send_through_another(message, provider)
    log.info("admins alerted about a mail provider refusing everyone", provider=provider)


def compose_provider_alert(provider: str, admin: str, mail_from: str) -> EmailMessage:
    """A plain-text alert: the provider's answer, what Backline does meanwhile, what to check."""
    answer = db.session.scalar(
        select(DeliveryAttempt.answer)
        .where(
            DeliveryAttempt.provider == provider,
            DeliveryAttempt.outcome == AttemptOutcome.REFUSED_ALL,
        )
        .order_by(DeliveryAttempt.at.desc())
        .limit(1)
    )
    waiting = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.state == DeliveryState.DELAYED)
    )
    return admin_message(
        f"Mail provider {provider} is refusing every recipient: {one_line(answer or '-')}",
        _text(provider, answer or "-", int(waiting or 0)),
        f"provider-alert.{provider}",
        admin,
        mail_from,
    )


def _text(provider: str, answer: str, waiting: int) -> str:
    second = fallback()
    minutes = int(RETRY_CAP.total_seconds() // 60)
    if second is not None and second.name != provider:
        meanwhile = f"Voicemail emails go through {second.name} (MAIL_FALLBACK_URL) meanwhile."
    else:
        meanwhile = "There is no other provider to use (MAIL_FALLBACK_URL): emails wait."
    return "\n".join(
        [
            f"The mail provider {provider} refused several different recipients in a row with a",
            "permanent error, so the problem is the provider's, not the addresses'.",
            "",
            f"Last answer:  {answer}",
            f"Waiting:      {waiting} voicemail email(s), shown as delayed; none is lost.",
            "",
            meanwhile,
            f"{provider} is tried again every {minutes} minutes. Once a provider accepts again,",
            "every waiting email is sent by itself: nobody needs to retry them.",
            "",
            "Check the relay's relaying rules, credentials and sending limits, and MAIL_FROM.",
            "",
        ]
    )


def _send_through_another(message: EmailMessage, provider: str) -> None:
    """The other provider first, then the one refusing everyone; MailError if neither takes it."""
    candidates: list[Mailer] = [m for m in (fallback(), mailer()) if m is not None]
    candidates.sort(key=lambda candidate: candidate.name == provider)
    failures = []
    for candidate in candidates:
        try:
            candidate.send(message)
            return
        except MailError as exc:
            failures.append(f"{candidate.name}: {exc}")
    raise MailError("the alert could not be sent: " + "; ".join(failures))
