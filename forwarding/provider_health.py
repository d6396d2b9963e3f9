"""Whether a mail provider is refusing every recipient: then a 5xx is its problem, not theirs.

A 5xx for one recipient is final: the address is wrong and retrying will not help. The same
refusal for BACKLINE_MAIL_PROVIDER_REFUSALS different recipients within
BACKLINE_MAIL_PROVIDER_WINDOW_SECONDS, with nothing accepted in between, is the provider's
("relaying denied", a suspended account). Those deliveries go back to `delayed` and are sent
again, and the provider counts as refusing everyone until it accepts a message again: its
refusals meanwhile are held too, and MAIL_FALLBACK_URL carries the mail (providers.py).

It is all read from the recorded attempts (REFUSED_ALL newer than the latest ACCEPTED), so
every worker sees the same, and a restart or a lost Redis forgets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from flask import current_app
from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.orm import aliased

from app.core.extensions import db
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, utcnow

log = structlog.get_logger(__name__)

RELEASE_BATCH = 500


@dataclass(frozen=True)
class ProviderState:
    last_accepted: datetime | None
    last_refused_all: datetime | None

    @property
    def refusing_all(self) -> bool:
        """Its latest refusal of everyone is newer than anything it accepted."""
        refused, accepted = self.last_refused_all, self.last_accepted
        return refused is not None and (accepted is None or refused > accepted)


@dataclass(frozen=True)
class Held:
    """Deliveries put back to `delayed` because their provider was refusing everyone."""

    delivery_ids: list[int]
    episode_started: bool  # this refusal showed it: the admins have not been told yet


def provider_state(provider: str) -> ProviderState:
    """When `provider` last accepted a message, and last refused everyone (one round trip)."""
    accepted, refused = db.session.execute(
        select(
            _latest(provider, AttemptOutcome.ACCEPTED),
            _latest(provider, AttemptOutcome.REFUSED_ALL),
        )
    ).one()
    return ProviderState(_aware(accepted), _aware(refused))


def hold_if_refusing_all(attempt: DeliveryAttempt) -> Held | None:
    """Judge a 5xx just recorded as PERMANENT; None when it is the recipient's, and final."""
    state = provider_state(attempt.provider)
    if state.refusing_all:
        return Held(_hold([attempt.id]), episode_started=False)
    window = timedelta(seconds=current_app.config["BACKLINE_MAIL_PROVIDER_WINDOW_SECONDS"])
    since = utcnow() - window
    if state.last_accepted is not None:
        since = max(since, state.last_accepted)  # an acceptance in between clears the provider
    refusals = db.session.execute(
        select(DeliveryAttempt.id, func.lower(Delivery.address))
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .where(
            DeliveryAttempt.provider == attempt.provider,
            DeliveryAttempt.outcome == AttemptOutcome.PERMANENT,
            DeliveryAttempt.at > since,
        )
    ).all()
    recipients = {address for _id, address in refusals}
    if len(recipients) < current_app.config["BACKLINE_MAIL_PROVIDER_REFUSALS"]:
        return None
    log.error(
        "mail provider is refusing every recipient; holding its refusals for a retry",
        provider=attempt.provider,
        recipients=len(recipients),
        answer=attempt.answer,
    )
    return Held(_hold([attempt_id for attempt_id, _ in refusals]), episode_started=True)


def delayed_deliveries() -> list[int]:
    """Deliveries waiting for a retry, oldest first: to send at once when mail flows again."""
    return list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.state == DeliveryState.DELAYED)
            .order_by(Delivery.id)
            .limit(RELEASE_BATCH)
        )
    )


def _hold(attempt_ids: list[int]) -> list[int]:
    """Mark these attempts REFUSED_ALL and put their failed, never resent deliveries back."""
    session = db.session()
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id.in_(attempt_ids))
        .values(outcome=AttemptOutcome.REFUSED_ALL)
        .execution_options(synchronize_session=False)
    )
    resend = aliased(Delivery)
    held = session.scalars(
        update(Delivery)
        .where(
            Delivery.id.in_(
                select(DeliveryAttempt.delivery_id).where(DeliveryAttempt.id.in_(attempt_ids))
            ),
            Delivery.state == DeliveryState.FAILED,
            ~select(resend.id).where(resend.resend_of_id == Delivery.id).exists(),
        )
        .values(state=DeliveryState.DELAYED)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    session.expire_all()  # the updates above bypassed the loaded rows
    return list(held)


def _latest(provider: str, outcome: AttemptOutcome) -> ScalarSelect[datetime]:
    return (
        select(func.max(DeliveryAttempt.at))
        .where(DeliveryAttempt.provider == provider, DeliveryAttempt.outcome == outcome)
        .scalar_subquery()
    )


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite keeps no zone: a timestamp read back naive is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
