"""Fan-out split by subscriber-id range: any worker takes a range, each message row is made
exactly once, and the sweeper picks up a range whose job was lost."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select, update

from app.core.extensions import db
from app.models import (
    MessageState,
    Notice,
    NoticeMessage,
    NoticeRange,
    NoticeState,
    Subscriber,
    utcnow,
)
from app.outages.lifecycle import Scope, start_outage
from app.outages.notices.fanout import fan_out_range
from app.outages.notices.sweeper import sweep_notices
from tests.conftest import settle
from tests.support.smtp import SmtpSink

SHARED = "desk@acme.example"


def _seed(app: Flask, subscriber: Any, count: int) -> list[Subscriber]:
    """Subscribers with an address of their own each, and one address all of them share.

    Their ids are half a range apart, so a notice to them spans several ranges whatever
    BACKLINE_NOTICE_RANGE the workers run with (the test's own config does not reach them).
    """
    step = app.config["BACKLINE_NOTICE_RANGE"] // 2 + 1
    return [
        subscriber(f"+1415555{n:04d}", [f"user{n}@example.com", SHARED], id=1 + n * step)
        for n in range(count)
    ]


def _start() -> Notice:
    outage = start_outage(
        db.session(), actor="cli:noc", scope=Scope(), subscriber_message="Our platform is down."
    )
    db.session.commit()
    assert settle()
    return db.session.scalars(select(Notice).where(Notice.outage_id == outage.id)).one()


def _rows(notice: Notice) -> list[tuple[str, list[int], str]]:
    db.session.expire_all()
    messages = db.session.scalars(
        select(NoticeMessage).where(NoticeMessage.notice_id == notice.id).order_by("address")
    )
    return [(m.address, list(m.subscriber_ids), m.state) for m in messages]


def test_a_notice_over_several_ranges_completes_exactly_once_even_if_a_range_runs_twice(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    people = _seed(app, subscriber, 8)
    ids = sorted(p.id for p in people)

    notice = _start()

    ranges = db.session.scalars(select(NoticeRange).where(NoticeRange.notice_id == notice.id))
    span = app.config["BACKLINE_NOTICE_RANGE"]
    assert len(list(ranges)) == math.ceil((ids[-1] - ids[0] + 1) / span) > 1
    rows = _rows(notice)
    assert len(rows) == 9  # eight addresses of their own and the shared one, once each
    assert (SHARED, ids, MessageState.SENT) in rows  # merged across every range, in order
    assert sorted(str(m["To"]) for m in smtp.messages).count(SHARED) == 1
    assert len(smtp.messages) == 9
    db.session.refresh(notice)
    assert notice.state == NoticeState.DONE
    finished = notice.finished_at

    # Every range job runs again, as after a worker lost its acknowledgement.
    for first_id in [r.first_id for r in db.session.scalars(select(NoticeRange))]:
        fan_out_range(notice.id, first_id)
        fan_out_range(notice.id, first_id)
    assert settle()

    assert _rows(notice) == rows
    assert len(smtp.messages) == 9
    db.session.refresh(notice)
    assert (notice.state, notice.finished_at) == (NoticeState.DONE, finished)


def test_ranges_written_twice_before_sending_make_each_row_once(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    ids = sorted(p.id for p in _seed(app, subscriber, 5))
    notice = _start()
    smtp.clear()
    # As if fan-out were under way again from the start, every message still pending.
    db.session.execute(
        update(NoticeMessage)
        .values(state=MessageState.PENDING)
        .where(NoticeMessage.notice_id == notice.id)
    )
    db.session.execute(update(NoticeRange).values(done_at=None, cursor=NoticeRange.first_id - 1))
    db.session.execute(update(Notice).values(state=NoticeState.QUEUED, finished_at=None))
    db.session.commit()

    firsts = [r.first_id for r in db.session.scalars(select(NoticeRange))]
    for first_id in firsts + list(reversed(firsts)):
        fan_out_range(notice.id, first_id)
    assert settle()

    rows = _rows(notice)
    assert len(rows) == 6
    assert (SHARED, ids, MessageState.SENT) in rows
    assert len(smtp.messages) == 6  # the batches were queued once
    db.session.refresh(notice)
    assert notice.state == NoticeState.DONE


def test_a_lost_range_job_is_recovered_by_the_notice_sweeper(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    people = _seed(app, subscriber, 6)
    notice = _start()
    smtp.clear()
    lost = db.session.scalars(select(NoticeRange).order_by(NoticeRange.first_id.desc())).first()
    assert lost is not None
    in_lost = [p.id for p in people if lost.first_id <= p.id <= lost.last_id]
    long_ago = utcnow() - timedelta(hours=1)
    # The state a worker killed before it took the last range leaves behind.
    db.session.execute(
        delete(NoticeMessage).where(
            NoticeMessage.address.in_(
                [f"user{people.index(p)}@example.com" for p in people if p.id in in_lost]
            )
        )
    )
    db.session.execute(
        update(NoticeRange)
        .where(NoticeRange.first_id == lost.first_id)
        .values(done_at=None, cursor=lost.first_id - 1, touched_at=long_ago)
    )
    db.session.execute(
        update(Notice).values(state=NoticeState.QUEUED, released_at=long_ago, finished_at=None)
    )
    db.session.commit()

    assert sweep_notices() >= 1
    assert settle()

    db.session.refresh(notice)
    assert notice.state == NoticeState.DONE
    sent_to = sorted(str(m["To"]) for m in smtp.messages)
    assert sent_to == sorted(
        f"user{people.index(p)}@example.com" for p in people if p.id in in_lost
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(NoticeRange).where(NoticeRange.done_at.is_(None))
        )
        == 0
    )
