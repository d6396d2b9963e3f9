"""Notice headers providers neither drop nor mis-thread: a numeric Date zone, Message-IDs no
other installation can produce (and that a resend keeps), a List-Id."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import MessageState, Notice, NoticeMessage, NoticeState
from app.outages.lifecycle import Scope, start_outage
from app.outages.notices.fanout import fan_out_notice
from tests.conftest import settle
from tests.support.app_state import empty_tables
from tests.support.smtp import SmtpSink

NOTICE_ID = re.compile(r"<notice\.(\d+)\.(\d+)\.([0-9a-f]{24})@provider\.example>")


def _start() -> Notice:
    outage = start_outage(
        db.session(), actor="cli:noc", scope=Scope(), subscriber_message="Our platform is down."
    )
    db.session.commit()
    assert settle()
    return db.session.scalars(select(Notice).where(Notice.outage_id == outage.id)).one()


def _message(address: str) -> NoticeMessage:
    db.session.expire_all()
    return db.session.scalars(select(NoticeMessage).where(NoticeMessage.address == address)).one()


def test_notices_carry_a_numeric_date_a_random_message_id_and_a_list_id(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550601", ["a@example.com"])
    subscriber("+14155550602", ["b@example.com"])
    _start()

    emails = smtp.wait_for(2)
    for email in emails:
        assert re.search(r" \+0000$", email["Date"]), email["Date"]  # RFC 5322 3.3, not 4.3
        found = NOTICE_ID.fullmatch(email["Message-ID"])
        assert found, email["Message-ID"]
        stored = _message(str(email["To"]))
        assert found[3] == stored.random_id
        assert stored.provider_id == email["Message-ID"]
        assert email["List-Id"] == "Outage notices <outage-notices.provider.example>"
    assert emails[0]["Message-ID"] != emails[1]["Message-ID"]


def test_a_resent_notice_keeps_its_message_id_even_from_before_ids_were_random(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550701", ["new@example.com"])
    subscriber("+14155550702", ["old@example.com"])
    notice = _start()
    first = {str(m["To"]): m["Message-ID"] for m in smtp.wait_for(2)}
    old = _message("old@example.com")
    old.random_id = None  # a row the previous release made
    db.session.commit()

    for _ in range(2):
        smtp.clear()
        _send_again(notice.id)
        again = {str(m["To"]): m["Message-ID"] for m in smtp.wait_for(2)}
        assert again["new@example.com"] == first["new@example.com"]
        assert again["old@example.com"] == _message("old@example.com").provider_id
    assert re.fullmatch(r"<notice\.\d+\.\d+\.\d{20}@provider\.example>", again["old@example.com"])


def test_another_installation_with_the_same_row_ids_sends_under_other_message_ids(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550801", ["a@example.com"])
    _start()
    [production] = smtp.wait_for(1)

    empty_tables()  # staging, or a backup restored from before: the ids start over
    smtp.clear()
    subscriber("+14155550801", ["a@example.com"])
    _start()
    [staging] = smtp.wait_for(1)

    assert _row_ids(production["Message-ID"]) == _row_ids(staging["Message-ID"])
    assert production["Message-ID"] != staging["Message-ID"]


def _row_ids(message_id: str) -> tuple[str, ...]:
    found = NOTICE_ID.fullmatch(message_id)
    assert found, message_id
    return found.groups()[:2]


def _send_again(notice_id: int) -> None:
    """Put every message back to pending and fan the notice out again, as a crash would."""
    db.session.execute(
        NoticeMessage.__table__.update()  # type: ignore[attr-defined]
        .values(state=MessageState.PENDING)
        .where(NoticeMessage.notice_id == notice_id)
    )
    notice = db.session.get_one(Notice, notice_id)
    notice.state, notice.cursor = NoticeState.QUEUED, 0
    db.session.commit()
    jobs.enqueue(fan_out_notice, notice_id)
    assert settle()
