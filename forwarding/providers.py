"""Which mail provider carries a delivery: the primary, or MAIL_FALLBACK_URL after it failed.

The fallback takes a delivery after BACKLINE_MAIL_FALLBACK_AFTER transient failures on the
primary, and every delivery while the primary is refusing everyone (provider_health.py); one
delivery every PROBE_EVERY still goes to the primary then, to see whether it accepts again.
A delivery caught in the duplicate window (`sending` when its job starts: a worker died between
the relay's answer and the commit) goes back to the provider it was being sent through, so the
resend carries the same Message-ID to the same place and can be recognised as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog
from flask import current_app
from sqlalchemy import func, select

from app.core.config import ConfigError
from app.core.extensions import db, mailer
from app.core.mail import Mailer
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, utcnow
from forwarding.attempts import RETRY_CAP
from forwarding.mailer import SmtpMailer
from forwarding.provider_health import provider_state
from forwarding.ses import SesMailer

log = structlog.get_logger(__name__)

PROBE_EVERY = RETRY_CAP  # how often a primary refusing everyone is tried again


@dataclass(frozen=True)
class Route:
    provider: Mailer
    # The provider has been refusing everyone: if it accepts this one, it is well again.
    probing: bool = False


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


def route(delivery: Delivery) -> Route:
    """The provider this delivery's next attempt goes through."""
    primary, second = mailer(), fallback()
    if delivery.state == DeliveryState.SENDING and delivery.provider:
        for candidate in (primary, second):
            if candidate is not None and candidate.name == delivery.provider:
                return Route(candidate)
        log.warning(
            "the provider of an interrupted attempt is no longer configured",
            delivery_id=delivery.id,
            provider=delivery.provider,
        )
    state = provider_state(primary.name)
    if state.refusing_all:
        probe_due = state.last_refused_all is None or (
            utcnow() - state.last_refused_all >= PROBE_EVERY
        )
        if second is None or probe_due:
            return Route(primary, probing=True)
        return Route(second)
    threshold = current_app.config["BACKLINE_MAIL_FALLBACK_AFTER"]
    if second is not None and failures(delivery, primary.name) >= threshold:
        return Route(second)
    return Route(primary)


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
