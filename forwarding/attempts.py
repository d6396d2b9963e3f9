"""Claiming a delivery for one attempt, and recording how the attempt ended.

The claim is a compare-and-set on the delivery's attempt counter, so two jobs for the same
delivery (a sweeper re-queue, a repeated callback) never both send it. An attempt still marked
`sending` is another worker's, in flight, until LEASE has passed; after that its worker is
taken to be dead inside the duplicate window and the delivery is sent again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import structlog
from sqlalchemy import CursorResult, select, update

from app.core.extensions import db
from app.core.mail import MailError
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, utcnow

log = structlog.get_logger(__name__)

FINAL_STATES = (DeliveryState.ACCEPTED, DeliveryState.BOUNCED, DeliveryState.FAILED)
LEASE = timedelta(seconds=150)  # longer than the email job's timeout
# A delayed delivery is never given up: the job's own retries back off up to RETRY_CAP, and
# after them the sweeper queues it again whenever RETRY_CAP has passed since its last attempt,
# until it is sent or its voicemail is erased.
RETRY_INTERVALS = (10, 30, 60, 120, 300)
RETRY_CAP = timedelta(seconds=max(RETRY_INTERVALS))
ANSWER_MAX_CHARS = 2000
INTERRUPTED_ANSWER = (
    "no answer recorded: the worker stopped between sending and recording the answer "
    "(the duplicate window); sent again with the same Message-ID"
)

NEXT_STATE = {
    AttemptOutcome.ACCEPTED: DeliveryState.ACCEPTED,
    AttemptOutcome.TRANSIENT: DeliveryState.DELAYED,
    AttemptOutcome.PERMANENT: DeliveryState.FAILED,
    AttemptOutcome.REFUSED_ALL: DeliveryState.DELAYED,
}


class DeliveryBusy(MailError):
    """Another worker is sending this delivery right now; try again after its lease."""


def begin_attempt(delivery: Delivery, provider: str, message_id: str) -> DeliveryAttempt | None:
    """Mark the delivery `sending` and open an attempt; None if another job claimed it first."""
    session = db.session()
    if delivery.state == DeliveryState.SENDING:
        _close_interrupted(delivery)
    claimed = cast(
        CursorResult[object],
        session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery.id,
                Delivery.attempts == delivery.attempts,
                Delivery.state.not_in(FINAL_STATES),
            )
            .values(
                state=DeliveryState.SENDING,
                provider=provider,
                message_id=message_id,
                attempts=delivery.attempts + 1,
            )
            .execution_options(synchronize_session="fetch")
        ),
    )
    if claimed.rowcount != 1:
        session.rollback()
        return None
    attempt = DeliveryAttempt(delivery_id=delivery.id, provider=provider)
    session.add(attempt)
    session.commit()
    return attempt


def finish_attempt(
    delivery: Delivery, attempt: DeliveryAttempt, outcome: AttemptOutcome, answer: str
) -> None:
    """Record the provider's answer and move the delivery on (accepted, delayed or failed)."""
    attempt.outcome, attempt.answer = outcome, answer[:ANSWER_MAX_CHARS]
    delivery.state = NEXT_STATE[outcome]
    if outcome == AttemptOutcome.ACCEPTED:
        delivery.accepted_at, delivery.last_error = utcnow(), None
    else:
        delivery.last_error = attempt.answer
    db.session.commit()
    log.info(
        "voicemail email attempt",
        delivery_id=delivery.id,
        provider=attempt.provider,
        outcome=outcome.value,
        state=delivery.state,
    )


def _close_interrupted(delivery: Delivery) -> None:
    open_attempts = db.session.scalars(
        select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == delivery.id,
            DeliveryAttempt.outcome == AttemptOutcome.SENDING,
        )
    ).all()
    for attempt in open_attempts:
        if utcnow() - attempt.at < LEASE:
            db.session.rollback()
            raise DeliveryBusy(
                f"delivery {delivery.id} has been sending through {attempt.provider} since "
                f"{attempt.at:%H:%M:%S}Z; its worker may still be at it"
            )
        attempt.outcome, attempt.answer = AttemptOutcome.INTERRUPTED, INTERRUPTED_ANSWER
    log.warning(
        "resending inside the duplicate window",
        delivery_id=delivery.id,
        provider=delivery.provider,
        message_id=delivery.message_id,
    )
