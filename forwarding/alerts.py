"""The email that tells ADMIN_EMAIL a voicemail email failed or bounced for good.

An alert is never a delivery itself: when it cannot be sent it is logged (and its job retried),
never alerted about, so a broken admin address cannot start a loop.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr

import structlog
from flask import current_app

from app.core.mail import Mailer
from app.models import Delivery
from forwarding.admin_email import admin_message

log = structlog.get_logger(__name__)

REASON_MAX_CHARS = 120


def should_alert(delivery: Delivery) -> bool:
    """Whether there is an admin to tell who is not the address that just failed."""
    admin = current_app.config.get("ADMIN_EMAIL")
    if not admin:
        log.error(
            "delivery failed and ADMIN_EMAIL is unset; nobody alerted", delivery_id=delivery.id
        )
        return False
    if parseaddr(admin)[1].lower() == delivery.address.lower():
        log.error(
            "the admins' own address failed; not alerting it about itself", delivery_id=delivery.id
        )
        return False
    return True


def send_alert(delivery: Delivery, provider: Mailer) -> str:
    """Send the alert about this delivery through `provider`; raises MailError if it fails."""
    config = current_app.config
    answer = provider.send(compose_alert(delivery, config["ADMIN_EMAIL"], config["MAIL_FROM"]))
    log.info(
        "admins alerted about a failed delivery", delivery_id=delivery.id, state=delivery.state
    )
    return answer


def compose_alert(delivery: Delivery, admin: str, mail_from: str) -> EmailMessage:
    """A plain-text alert naming the address, the reason and the command that resends."""
    reason = one_line(delivery.last_error or delivery.state)
    return admin_message(
        f"Voicemail email to {delivery.address} {delivery.state}: {reason}",
        _text(delivery),
        f"delivery-alert.{delivery.id}.{delivery.state}",
        admin,
        mail_from,
    )


def _text(delivery: Delivery) -> str:
    return "\n".join(
        [
            f"A voicemail email {delivery.state} for good; Backline will not retry it by itself.",
            "",
            f"Delivery:  {delivery.id} (voicemail {delivery.voicemail_id})",
            f"Address:   {delivery.address}",
            f"Provider:  {delivery.provider or '-'}",
            f"Attempts:  {delivery.attempts}",
            f"Answer:    {delivery.last_error or '-'}",
            "",
            "Once the address is right, send the voicemail again with",
            f"    backline deliveries retry {delivery.id}",
            f"or to another address with `backline deliveries retry {delivery.id} --to ADDRESS`.",
            "",
        ]
    )


def one_line(text: str) -> str:
    """The text on one line, cut to REASON_MAX_CHARS (for subjects)."""
    line = " ".join(str(text).split())
    return line if len(line) <= REASON_MAX_CHARS else line[: REASON_MAX_CHARS - 1] + "…"
