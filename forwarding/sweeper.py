"""Re-queues emails whose job was lost or whose retries ran out: a worker died, a CLI process
exited, or the relay has been down for longer than the job's backoff. A `delayed` delivery is
queued again whenever RETRY_CAP has passed since its last attempt, for as long as it takes.

Safe to repeat: a delivery is claimed before each attempt, so a re-queued job that finds the
delivery in flight or already accepted sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from flask import current_app
from sqlalchemy import and_, func, or_, select

from app.core.extensions import db, jobs
from app.models import Delivery, DeliveryAttempt, DeliveryState, utcnow
from forwarding.attempts import LEASE, RETRY_CAP
from forwarding.tasks import send_voicemail_email

log = structlog.get_logger(__name__)

BATCH = 500
RESEND_PENDING_AFTER = timedelta(minutes=10)  # after its last attempt: the job's backoff is over


def sweep_deliveries(now: datetime | None = None) -> int:
    """Queue deliveries left pending, delayed past RETRY_CAP, or sending past their lease.

    `now` lets a drill (or a test) ask what would be due later; the periodic job passes none.
    """
    now = now or utcnow()
    fresh = now - timedelta(seconds=current_app.config["BACKLINE_SWEEP_AFTER_SECONDS"])
    last_attempt = (
        select(func.max(DeliveryAttempt.at))
        .where(DeliveryAttempt.delivery_id == Delivery.id)
        .scalar_subquery()
    )
    stalled = db.session.scalars(
        select(Delivery.id)
        .where(
            or_(
                and_(
                    Delivery.state == DeliveryState.PENDING,
                    Delivery.created_at < fresh,
                    or_(last_attempt.is_(None), last_attempt < now - RESEND_PENDING_AFTER),
                ),
                and_(Delivery.state == DeliveryState.DELAYED, last_attempt < now - RETRY_CAP),
                and_(Delivery.state == DeliveryState.SENDING, last_attempt < now - LEASE),
            )
        )
        .order_by(Delivery.id)
        .limit(BATCH)
    ).all()
    queued = jobs.enqueue_each(send_voicemail_email, stalled)
    if stalled:
        log.warning("sweeper re-queued stalled deliveries", stalled=len(stalled), queued=queued)
    return queued
