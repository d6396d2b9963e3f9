"""Which mail provider carries a delivery: the primary, or MAIL_FALLBACK_URL after it failed.

A delivery caught in the duplicate window (`sending` when its job starts: a worker died between
the relay's answer and the commit) goes back to the provider it was being sent through, so the
resend carries the same Message-ID to the same place and can be recognised as a duplicate.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from flask import current_app
from sqlalchemy import func, select

from app.config import ConfigError
from app.extensions import db, mailer
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState

from .mailer import Mailer, SmtpMailer
from .ses import SesMailer

log = structlog.get_logger(__name__)


def fallback_from_url(url: str | None) -> Mailer | None:
    """The second provider: `ses://REGION`, another `smtp://`/`smtps://` relay, or none."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "ses":
        return SesMailer(parts.netloc or parts.path.strip("/"))
    if parts.scheme in ("smtp", "smtps"):
        return SmtpMailer(url, name="smtp-fallback")
    raise ConfigError(
        f"MAIL_FALLBACK_URL must be ses://REGION or smtp://host:port, not {parts.scheme}://…"
    )


def fallback() -> Mailer | None:
    """The current app's fallback provider, if MAIL_FALLBACK_URL is set."""
    second: Mailer | None = current_app.extensions.get("backline.mail_fallback")
    return second


def provider_for(delivery: Delivery) -> Mailer:
    """The provider this delivery's next attempt goes through."""
    primary, second = mailer(), fallback()
    if delivery.state == DeliveryState.SENDING and delivery.provider:
        for candidate in (primary, second):
            if candidate is not None and candidate.name == delivery.provider:
                return candidate
        log.warning(
            "the provider of an interrupted attempt is no longer configured",
            delivery_id=delivery.id,
            provider=delivery.provider,
        )
    threshold = current_app.config["BACKLINE_MAIL_FALLBACK_AFTER"]
    if second is not None and failures(delivery, primary.name) >= threshold:
        return second
    return primary


def failures(delivery: Delivery, provider: str) -> int:
    """How many attempts of this delivery failed transiently on `provider`."""
    count = db.session.scalar(
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(
            DeliveryAttempt.delivery_id == delivery.id,
            DeliveryAttempt.provider == provider,
            DeliveryAttempt.outcome == AttemptOutcome.TRANSIENT,
        )
    )
    return int(count or 0)
