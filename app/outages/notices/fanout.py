"""Fan-out: one released notice becomes one message per (channel, normalised address).

The notice's affected subscribers are split by id into ranges of BACKLINE_NOTICE_RANGE ids, one
job each, which any worker can take: fan-out scales with the workers. A range job walks its
subscribers in chunks of BACKLINE_NOTICE_CHUNK; each chunk's messages and the range's cursor are
committed together, and the cursor only moves by compare-and-set, so a crashed or duplicated
job repeats at most one chunk, and the unique (notice, channel, address) constraint stops that
chunk from making a message twice (app.outages.notices.fanout_rows). Sending starts once every
range is done, so each message names all its numbers: whichever job sees the last range done
moves the notice from queued to sending (compare-and-set again) and queues the email batches.

A resolve notice skips the subscribers it has nothing true to say to as it walks them (another
outage still covers them, unannounced, or a later resolution ends their time in outage): see
app.coverage. The send jobs check again, since outages may start or end before a message goes.
Lost range jobs are queued again by the notice sweeper (app.outages.notices.sweeper).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import structlog
from flask import current_app
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from app.core.database import insert_on_conflict
from app.core.extensions import db, jobs
from app.core.jobs import job
from app.models import (
    Channel,
    MessageState,
    Notice,
    NoticeKind,
    NoticeMessage,
    NoticeRange,
    NoticeState,
    Subscriber,
    utcnow,
)
from app.outages.affected import scope_conditions
from app.outages.coverage import Coverage, Place, load_coverage
from app.outages.notices.fanout_rows import recipients, write_messages
from app.outages.notices.send import finish_if_done, send_notice_emails
from forwarding.sms import sms_providers

log = structlog.get_logger(__name__)


@job("notices", timeout=300, retry_intervals=(10, 30, 60, 300))
def fan_out_notice(notice_id: int) -> None:
    """Split a released notice into range jobs (once), or start sending if they are all done."""
    session = db.session()
    notice = session.get(Notice, notice_id)
    if notice is None or notice.state not in (NoticeState.QUEUED, NoticeState.SENDING):
        return
    structlog.contextvars.bind_contextvars(notice_id=notice_id, outage_id=notice.outage_id)
    if notice.state == NoticeState.QUEUED:
        for first_id in plan_ranges(session, notice):
            jobs.enqueue(fan_out_range, notice_id, first_id)
    start_sending_if_fanned_out(session, notice)


@job("notices", timeout=900, retry_intervals=(10, 30, 60, 300))
def fan_out_range(notice_id: int, first_id: int) -> None:
    """Make the messages of one subscriber-id range of a notice; idempotent (see the module)."""
    session = db.session()
    notice = session.get(Notice, notice_id)
    part = session.get(NoticeRange, (notice_id, first_id))
    if notice is None or part is None or notice.state != NoticeState.QUEUED:
        return
    structlog.contextvars.bind_contextvars(notice_id=notice_id, outage_id=notice.outage_id)
    chunk = max(1, current_app.config["BACKLINE_NOTICE_CHUNK"])
    coverage = load_coverage(session, notice.outage) if notice.kind == NoticeKind.RESOLVE else None
    while part.done_at is None:
        if not _fan_out_chunk(session, notice, part, chunk, coverage):
            log.info("another job is fanning this range out", first_id=first_id)
            return
    start_sending_if_fanned_out(session, notice)


def plan_ranges(session: Session, notice: Notice) -> list[int]:
    """Write the notice's ranges unless they exist; return the first ids of those written."""
    if session.scalar(select(func.count()).where(NoticeRange.notice_id == notice.id)):
        return []
    low, high = session.execute(
        select(func.min(Subscriber.id), func.max(Subscriber.id)).where(
            *scope_conditions(notice.outage)
        )
    ).one()
    if low is None:
        return []
    span = max(1, current_app.config["BACKLINE_NOTICE_RANGE"])
    rows = [
        {
            "notice_id": notice.id,
            "first_id": first,
            "last_id": min(high, first + span - 1),
            "cursor": first - 1,
            "touched_at": utcnow(),
        }
        for first in range(low, high + 1, span)
    ]
    dialect = session.get_bind().dialect.name
    session.execute(
        insert_on_conflict(dialect, NoticeRange.__table__).on_conflict_do_nothing(), rows
    )
    session.commit()
    return [row["first_id"] for row in rows]


def _fan_out_chunk(
    session: Session, notice: Notice, part: NoticeRange, size: int, coverage: Coverage | None
) -> bool:
    """Write the range's next chunk, or mark it done; False when another job moved it first.

    With `coverage` (a resolve notice), only the subscribers it has something true to tell.
    """
    rows = session.execute(
        select(
            Subscriber.id,
            Subscriber.emails,
            Subscriber.backup_number,
            Subscriber.language,
            Subscriber.timezone,
            Subscriber.number,
            Subscriber.region,
            Subscriber.plan,
        )
        .where(
            *scope_conditions(notice.outage),
            Subscriber.id > part.cursor,
            Subscriber.id <= part.last_id,
        )
        .order_by(Subscriber.id)
        .limit(size)
    ).all()
    told = rows if coverage is None else [row for row in rows if _told(coverage, row)]
    write_messages(session, notice.id, recipients(told, with_sms=bool(sms_providers())))
    cursor = rows[-1].id if rows else part.cursor
    done = utcnow() if len(rows) < size else None
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(NoticeRange)
            .where(
                NoticeRange.notice_id == part.notice_id,
                NoticeRange.first_id == part.first_id,
                NoticeRange.cursor == part.cursor,
                NoticeRange.done_at.is_(None),
            )
            .values(cursor=cursor, touched_at=utcnow(), done_at=done)
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        session.rollback()
        return False
    session.commit()
    part.cursor, part.done_at = cursor, done
    return True


def _told(coverage: Coverage, row: Any) -> bool:
    return not coverage.standing(Place(row.number, row.region, row.plan)).silent


def start_sending_if_fanned_out(session: Session, notice: Notice) -> None:
    """Once every range is written: queued → sending (once), then queue the email batches."""
    if notice.state == NoticeState.QUEUED:
        if session.scalar(
            select(func.count()).where(
                NoticeRange.notice_id == notice.id, NoticeRange.done_at.is_(None)
            )
        ):
            return
        moved = cast(
            CursorResult[Any],
            session.execute(
                update(Notice)
                .where(Notice.id == notice.id, Notice.state == NoticeState.QUEUED)
                .values(state=NoticeState.SENDING, fanned_out_at=utcnow())
                .execution_options(synchronize_session=False)
            ),
        )
        session.commit()
        session.refresh(notice)
        if moved.rowcount != 1:
            return  # another job saw the last range done first and queued the batches
        log.info("notice fanned out", kind=notice.kind)
    if notice.state == NoticeState.SENDING and not queue_email_batches(session, notice):
        finish_if_done(session, notice)  # nobody to email: done now, or once its SMS are sent


def queue_email_batches(session: Session, notice: Notice) -> int:
    """Queue one send job per BACKLINE_NOTICE_BATCH pending emails; return how many jobs."""
    ids = session.scalars(
        select(NoticeMessage.id)
        .where(
            NoticeMessage.notice_id == notice.id,
            NoticeMessage.channel == Channel.EMAIL,
            NoticeMessage.state == MessageState.PENDING,
        )
        .order_by(NoticeMessage.id)
    ).all()
    size = max(1, current_app.config["BACKLINE_NOTICE_BATCH"])
    batches = list(_batches(ids, size))
    for first, last in batches:
        jobs.enqueue(send_notice_emails, notice.id, first, last)
    return len(batches)


def _batches(ids: Sequence[int], size: int) -> Iterable[tuple[int, int]]:
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        yield batch[0], batch[-1]
