"""The job that emails a fresh status link to the subscribers it is about."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime

import structlog
from flask import current_app, render_template
from sqlalchemy import select

from app.core.extensions import db, mailer
from app.core.jobs import job
from app.core.mail import PermanentMailError
from app.core.phone import display
from app.models import Subscriber, utcnow
from app.security.links import status_url
from forwarding.admin_email import mail_domain

log = structlog.get_logger(__name__)

SUBJECT = "Your link to the outage status page"


@job("email", timeout=60, retry_intervals=(60, 300, 900))
def email_status_link(*subscriber_ids: int) -> None:
    """Email a fresh status link for these subscribers to their own addresses.

    Safe to repeat: a repeat (a retry after a relay failure) sends another fresh link for the
    same page, to the same addresses, and changes nothing else.
    """
    query = select(Subscriber).where(Subscriber.id.in_(subscriber_ids)).order_by(Subscriber.id)
    subscribers = db.session.scalars(query).all()
    if not subscribers:
        log.info("no subscribers left for a fresh status link")
        return
    link = status_url([subscriber.id for subscriber in subscribers])
    for address in _addresses(subscribers):
        try:
            mailer().send(_message(address, link, subscribers))
        except PermanentMailError as exc:  # that address is wrong for good; the others may work
            log.warning("fresh status link refused", error=str(exc))


def _addresses(subscribers: Sequence[Subscriber]) -> list[str]:
    """Each address once, in the order the subscribers list them."""
    seen: dict[str, str] = {}
    for subscriber in subscribers:
        for address in subscriber.emails or []:
            seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


def _message(address: str, link: str, subscribers: Sequence[Subscriber]) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = config["MAIL_FROM"]
    message["To"] = address
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = (
        f"<status-link.{secrets.token_hex(12)}@{mail_domain(config['MAIL_FROM'])}>"
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        render_template(
            "status_page/fresh_link.txt",
            link=link,
            numbers=[display(subscriber.number) for subscriber in subscribers],
            days=config["BACKLINE_STATUS_LINK_DAYS"],
        )
    )
    return message
