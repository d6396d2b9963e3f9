"""The plain-text emails Backline sends its own admins (alerts, reminders), and sending them."""

from __future__ import annotations

import secrets
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from app.core.extensions import mailer
from app.core.mail import MailError
from app.models import utcnow
from forwarding.providers import fallback


def mail_domain(mail_from: str) -> str:
    """The domain of MAIL_FROM, for Message-IDs."""
    return parseaddr(mail_from)[1].rpartition("@")[2] or "backline.invalid"


def admin_message(
    subject: str,
    body: str,
    message_id: str,
    admin: str,
    mail_from: str,
    date: datetime | None = None,
) -> EmailMessage:
    """An auto-generated plain-text email to the admins.

    `message_id` begins its Message-ID's local part (`delivery-alert.12.failed`); a random part
    follows, so staging and production alerting the same NOC never share an ID.
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = admin
    message["Date"] = format_datetime(date or utcnow())
    message["Message-ID"] = f"<{message_id}.{secrets.token_hex(12)}@{mail_domain(mail_from)}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send_to_admins(message: EmailMessage) -> None:
    """Send through the mail provider, then MAIL_FALLBACK_URL; MailError if both fail."""
    try:
        mailer().send(message)
    except MailError:
        second = fallback()
        if second is None:
            raise
        second.send(message)
