"""The sweeper: re-queues work whose job was lost (Redis down at callback time, a killed worker).

Everything it queues is idempotent, so queuing something that is in fact still in flight
costs a little work and never a duplicate email.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import Voicemail, VoicemailStatus, utcnow
from voicemail.tasks import process_voicemail

log = structlog.get_logger(__name__)

BATCH = 500


def sweep_voicemails() -> int:
    """Queue every voicemail stuck in `received` longer than BACKLINE_SWEEP_AFTER_SECONDS."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["BACKLINE_SWEEP_AFTER_SECONDS"])
    stalled = db.session.scalars(
        select(Voicemail.id)
        .where(Voicemail.status == VoicemailStatus.RECEIVED, Voicemail.recorded_at < cutoff)
        .order_by(Voicemail.id)
        .limit(BATCH)
    ).all()
    queued = jobs.enqueue_each(process_voicemail, stalled)
    if stalled:
        log.warning("sweeper re-queued stalled voicemails", stalled=len(stalled), queued=queued)
    return queued
