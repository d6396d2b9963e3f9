"""The rows a fan-out chunk writes: on PostgreSQL one statement of arrays, elsewhere an
executemany; both must make the row the model would, and merge an address met again."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.models import Channel, MessageState, Notice, NoticeMessage, utcnow
from app.outages.lifecycle import Scope, start_outage
from app.outages.notices.fanout_rows import Recipient, write_messages
from tests.conftest import settle


def _notice_id() -> int:
    start_outage(db.session(), actor="cli:noc", scope=Scope(), subscriber_message="Down.")
    db.session.commit()
    assert settle()
    return db.session.scalars(select(Notice.id)).one()


def _rows() -> dict[tuple[str, str], NoticeMessage]:
    db.session.expire_all()
    messages = db.session.scalars(select(NoticeMessage)).all()
    return {(m.channel, m.address): m for m in messages}


def test_a_chunk_makes_each_row_as_the_model_would_and_merges_a_shared_address(
    app: Flask,
) -> None:
    with app.app_context():
        notice_id = _notice_id()
        before = utcnow()
        write_messages(
            db.session(),
            notice_id,
            {
                (Channel.EMAIL.value, "desk@acme.example"): Recipient([7, 3], "fr", "Europe/Paris"),
                (Channel.SMS.value, "+14155550100"): Recipient([3]),
            },
        )
        write_messages(  # a later chunk meets the same address again
            db.session(),
            notice_id,
            {(Channel.EMAIL.value, "desk@acme.example"): Recipient([5], "en", "UTC")},
        )
        db.session.commit()

        rows = _rows()
        assert set(rows) == {("email", "desk@acme.example"), ("sms", "+14155550100")}
        desk = rows[("email", "desk@acme.example")]
        assert desk.subscriber_ids == [3, 5, 7]
        assert (desk.language, desk.timezone) == ("fr", "Europe/Paris")  # the first one's
        for row in rows.values():
            assert row.notice_id == notice_id
            assert row.state == MessageState.PENDING and row.attempts == 0
            assert row.retried_on_fallback is False
            assert row.provider is None and row.sent_at is None and row.claimed_at is None
            assert re.fullmatch(r"[0-9a-f]{24}", row.random_id or "")
            assert before - timedelta(seconds=1) <= row.created_at <= utcnow()
        assert len({row.random_id for row in rows.values()}) == 2
