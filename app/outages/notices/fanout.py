"""Fan-out: one released notice becomes one message per (channel, normalised address).

Affected subscribers are walked by id in chunks of BACKLINE_NOTICE_CHUNK. Each chunk's messages
and the notice's cursor are committed together, and the cursor only moves by compare-and-set,
so a crashed or duplicated job repeats at most one chunk, and the unique (notice, channel,
address) constraint stops that chunk from making a message twice. An address met again in a
later chunk (a business with forty numbers and one address) joins the numbers of the message
it already has. Sending starts once every message exists, so each message names all its numbers.

A resolve notice skips the subscribers it has nothing true to say to as it walks them (another
outage still covers them, unannounced, or a later resolution ends their time in outage): see
app.coverage. The send jobs check again, since outages may start or end before a message goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from flask import current_app
from sqlalchemy import CursorResult, literal_column, select, update
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
    NoticeState,
    Subscriber,
    utcnow,
)
from app.outages.affected import scope_conditions
from app.outages.coverage import Coverage, Place, load_coverage
from app.outages.notices.send import finish_if_done, send_notice_emails
from forwarding.sms import sms_providers

log = structlog.get_logger(__name__)

FANNING_OUT = (NoticeState.QUEUED, NoticeState.SENDING)

# The union, in order, of a message's numbers and a later chunk's (the two databases spell it
# differently; both keep subscriber_ids a sorted JSON array of distinct ids).
_MERGED_IDS = {
    "postgresql": (
        "(SELECT json_agg(id ORDER BY id) FROM ("
        "SELECT value::int AS id FROM json_array_elements_text(notice_messages.subscriber_ids)"
        " UNION SELECT value::int FROM json_array_elements_text(excluded.subscriber_ids)"
        ") AS ids)"
    ),
    "sqlite": (
        "(SELECT json_group_array(id) FROM ("
        "SELECT value AS id FROM json_each(notice_messages.subscriber_ids)"
        " UNION SELECT value FROM json_each(excluded.subscriber_ids) ORDER BY id))"
    ),
}


@dataclass
class Recipient:
    subscriber_ids: list[int] = field(default_factory=list)
    language: str | None = None
    timezone: str | None = None


@job("notices", timeout=900, retry_intervals=(10, 30, 60, 300))
def fan_out_notice(notice_id: int) -> None:
    """Make every message of a released notice, then queue the emails in batches."""
    session = db.session()
    notice = session.get(Notice, notice_id)
    if notice is None or notice.state not in FANNING_OUT:
        return
    structlog.contextvars.bind_contextvars(notice_id=notice_id, outage_id=notice.outage_id)
    if notice.state == NoticeState.QUEUED:
        chunk = max(1, current_app.config["BACKLINE_NOTICE_CHUNK"])
        coverage = None
        if notice.kind == NoticeKind.RESOLVE:
            coverage = load_coverage(session, notice.outage)
        while True:
            written = _fan_out_chunk(session, notice, chunk, coverage)
            if written is None:
                log.info("another job is fanning this notice out")
                return
            if written == 0:
                break
        notice.state, notice.fanned_out_at = NoticeState.SENDING, utcnow()
        session.commit()
        log.info("notice fanned out", kind=notice.kind)
    if not queue_email_batches(session, notice):
        finish_if_done(session, notice)  # nobody to email: done now, or once its SMS are sent


def _fan_out_chunk(
    session: Session, notice: Notice, size: int, coverage: Coverage | None = None
) -> int | None:
    """Write the next chunk; return how many subscribers it held (None: someone else has it).

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
        .where(*scope_conditions(notice.outage), Subscriber.id > notice.cursor)
        .order_by(Subscriber.id)
        .limit(size)
    ).all()
    if not rows:
        return 0
    told = rows if coverage is None else [row for row in rows if _told(coverage, row)]
    _write_messages(session, notice.id, recipients(told, with_sms=bool(sms_providers())))
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Notice)
            .where(Notice.id == notice.id, Notice.cursor == notice.cursor)
            .values(cursor=rows[-1].id)
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    notice.cursor = rows[-1].id
    return len(rows)


def _told(coverage: Coverage, row: Any) -> bool:
    return not coverage.standing(Place(row.number, row.region, row.plan)).silent


def recipients(rows: Iterable[Any], with_sms: bool = True) -> dict[tuple[str, str], Recipient]:
    """Group subscribers by (channel, normalised address); the first one sets language and zone.

    Without an SMS provider configured, no SMS is made: progress then shows none pending.
    """
    grouped: dict[tuple[str, str], Recipient] = {}
    for row in rows:
        addresses = [(Channel.EMAIL.value, email.strip().lower()) for email in row.emails or ()]
        if row.backup_number and with_sms:
            addresses.append((Channel.SMS.value, row.backup_number))
        for key in addresses:
            if not key[1]:
                continue
            recipient = grouped.get(key)
            if recipient is None:
                grouped[key] = recipient = Recipient(language=row.language, timezone=row.timezone)
            recipient.subscriber_ids.append(row.id)
    return grouped


def _write_messages(
    session: Session, notice_id: int, grouped: dict[tuple[str, str], Recipient]
) -> None:
    """Insert this chunk's messages; one an earlier chunk made gains this chunk's numbers.

    One INSERT … ON CONFLICT DO UPDATE for the whole chunk (sent as a pipelined executemany),
    merging the numbers in SQL: no lookups, and a repeated chunk changes nothing.
    """
    if not grouped:
        return
    dialect = session.get_bind().dialect.name
    statement = insert_on_conflict(dialect, NoticeMessage.__table__)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["notice_id", "channel", "address"],
            set_={"subscriber_ids": literal_column(_MERGED_IDS[dialect])},
        ),
        [
            {
                "notice_id": notice_id,
                "channel": channel,
                "address": address,
                "subscriber_ids": recipient.subscriber_ids,
                "language": recipient.language,
                "timezone": recipient.timezone,
            }
            for (channel, address), recipient in grouped.items()
        ],
    )


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
