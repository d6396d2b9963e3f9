"""Picks notices back up when their jobs were lost: an enqueue that failed, a worker killed.

Safe to repeat: a fan-out range moves its cursor by compare-and-set, and messages are claimed
before they are sent, so a job queued twice sends nothing twice. A fan-out range untouched for
BACKLINE_SWEEP_AFTER_SECONDS lost its job (or never got one): it is queued again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from flask import current_app
from sqlalchemy import CursorResult, func, or_, select, update

from app.core.extensions import db, jobs
from app.models import (
    Channel,
    MessageState,
    Notice,
    NoticeMessage,
    NoticeRange,
    NoticeState,
    utcnow,
)
from app.outages.notices.fanout import fan_out_notice, fan_out_range, queue_email_batches
from app.outages.notices.send import LEASE, finish_if_done
from app.outages.notices.sms_delivery import resend_sms_on_fallback

log = structlog.get_logger(__name__)


def sweep_notices() -> int:
    """Re-queue stalled fan-outs and batches; return how many notices needed it."""
    session = db.session()
    now = utcnow()
    quiet = now - timedelta(seconds=current_app.config["BACKLINE_SWEEP_AFTER_SECONDS"])
    _release_expired_leases(now)
    stalled = session.scalars(
        select(Notice).where(Notice.state == NoticeState.QUEUED, Notice.released_at < quiet)
    ).all()
    jobs.enqueue_each(fan_out_notice, [notice.id for notice in stalled])
    for notice_id, first_id in _lost_ranges([notice.id for notice in stalled], quiet):
        jobs.enqueue(fan_out_range, notice_id, first_id)
    sending = session.scalars(select(Notice).where(Notice.state == NoticeState.SENDING)).all()
    requeued = 0
    for notice in sending:
        if finish_if_done(session, notice):
            continue
        if _emails_waiting(notice.id, quiet):
            requeued += 1
            queue_email_batches(session, notice)
    requeued += _requeue_fallback_resends(quiet)
    if stalled or requeued:
        log.warning("notice sweeper re-queued work", fan_outs=len(stalled), sends=requeued)
    return len(stalled) + requeued


def _lost_ranges(notice_ids: list[int], quiet: datetime) -> list[tuple[int, int]]:
    """The unfinished fan-out ranges of these notices that no job has moved lately."""
    if not notice_ids:
        return []
    rows = db.session.execute(
        select(NoticeRange.notice_id, NoticeRange.first_id).where(
            NoticeRange.notice_id.in_(notice_ids),
            NoticeRange.done_at.is_(None),
            NoticeRange.touched_at < quiet,
        )
    ).all()
    return [(row.notice_id, row.first_id) for row in rows]


def _release_expired_leases(now: datetime) -> None:
    """Messages left `sending` past LEASE belong to a dead worker: pending again."""
    expired = cast(
        CursorResult[Any],
        db.session.execute(
            update(NoticeMessage)
            .where(
                NoticeMessage.state == MessageState.SENDING,
                func.coalesce(NoticeMessage.claimed_at, NoticeMessage.created_at) < now - LEASE,
            )
            .values(state=MessageState.PENDING)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    if expired.rowcount:
        log.warning("resending notice messages inside the duplicate window", count=expired.rowcount)


def _emails_waiting(notice_id: int, quiet: datetime) -> bool:
    """Pending emails no job has touched lately (their job's retries are over, or it was lost)."""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(NoticeMessage)
            .where(
                NoticeMessage.notice_id == notice_id,
                NoticeMessage.channel == Channel.EMAIL,
                NoticeMessage.state == MessageState.PENDING,
                or_(NoticeMessage.claimed_at.is_(None), NoticeMessage.claimed_at < quiet),
                NoticeMessage.created_at < quiet,
            )
        )
    )


def _requeue_fallback_resends(quiet: datetime) -> int:
    """SMS a status callback marked for the second provider whose resend job was lost."""

    waiting = db.session.scalars(
        select(NoticeMessage.id).where(
            NoticeMessage.channel == Channel.SMS,
            NoticeMessage.state == MessageState.PENDING,
            NoticeMessage.retried_on_fallback.is_(True),
            or_(NoticeMessage.claimed_at.is_(None), NoticeMessage.claimed_at < quiet),
        )
    ).all()
    return jobs.enqueue_each(resend_sms_on_fallback, waiting)
