"""Notices reach exactly the affected subscribers, once per address, and never twice."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.core.extensions import db, jobs
from app.models import Channel, MessageState, Notice, NoticeMessage, NoticeState, OptOut
from app.outages.lifecycle import Scope, start_outage, update_outage
from app.outages.notices.fanout import fan_out_notice
from tests.conftest import settle
from tests.support.smtp import SmtpSink


def _start(**scope: list[str]) -> Any:
    outage = start_outage(
        db.session(),
        actor="cli:noc",
        scope=Scope(**scope),
        subscriber_message="Our platform is down.",
    )
    db.session.commit()
    assert settle()
    return outage


def _recipients(smtp: SmtpSink) -> list[str]:
    return sorted(str(message["To"]) for message in smtp.messages)


def test_scopes_select_exactly_the_affected_subscribers(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550101", ["a@one.example"], region="north", plan="basic")
    subscriber("+14155550102", ["b@two.example"], region="north", plan="pro")
    subscriber("+14155550103", ["c@three.example"], region="south", plan="pro")

    _start(regions=["north"])
    assert _recipients(smtp) == ["a@one.example", "b@two.example"]
    smtp.clear()
    _start(regions=["north"], plans=["pro"])
    assert _recipients(smtp) == ["b@two.example"]
    smtp.clear()
    _start(numbers=["+14155550103"])
    assert _recipients(smtp) == ["c@three.example"]
    smtp.clear()
    _start()
    assert _recipients(smtp) == ["a@one.example", "b@two.example", "c@three.example"]


def test_numbers_sharing_an_address_get_one_notice_naming_them_all(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    app.config["BACKLINE_NOTICE_CHUNK"] = 2  # the shared address spans several chunks
    ids = [subscriber(f"+1415555020{n}", ["Desk@Acme.example"]).id for n in range(5)]
    ids.append(subscriber("+14155550299", ["other@acme.example", "desk@acme.example"]).id)

    _start()

    shared = db.session.scalars(
        select(NoticeMessage).where(NoticeMessage.address == "desk@acme.example")
    ).one()
    assert shared.subscriber_ids == sorted(ids)  # merged across chunks, in order, once each

    emails = smtp.messages
    assert sorted(str(m["To"]) for m in emails) == ["desk@acme.example", "other@acme.example"]
    desk = next(m for m in emails if str(m["To"]) == "desk@acme.example")
    text = desk.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for n in range(5):
        assert f"415-555-020{n}" in text
    assert "415-555-0299" in text


def test_a_notice_fanned_out_again_sends_nothing_twice(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    for n in range(4):
        subscriber(f"+1415555030{n}", [f"user{n}@example.com"])
    outage = _start()
    notice = db.session.scalars(select(Notice).where(Notice.outage_id == outage.id)).one()
    assert len(smtp.messages) == 4

    db.session.execute(
        NoticeMessage.__table__.update()
        .values(state=MessageState.PENDING)  # type: ignore[attr-defined]
        .where(NoticeMessage.notice_id == notice.id, NoticeMessage.address == "user0@example.com")
    )
    notice.state, notice.cursor = NoticeState.QUEUED, 0  # as if the job ran again from scratch
    db.session.commit()
    jobs.enqueue(fan_out_notice, notice.id)
    jobs.enqueue(fan_out_notice, notice.id)
    assert settle()

    rows = db.session.scalar(
        select(func.count()).select_from(NoticeMessage).where(NoticeMessage.notice_id == notice.id)
    )
    assert rows == 4
    # Only the message put back to pending went again (the documented duplicate window).
    assert sorted(_recipients(smtp)).count("user0@example.com") == 2
    assert len(smtp.messages) == 5


def test_repeated_updates_announce_only_real_changes(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550401", ["a@example.com"])
    outage = _start()
    smtp.clear()
    session = db.session()

    update_outage(session, outage, actor="cli:noc", subscriber_message="Our platform is down.")
    update_outage(session, outage, actor="cli:noc", state="identified")
    update_outage(session, outage, actor="cli:noc", caller_message="Callers only.")
    session.commit()
    assert settle()
    assert smtp.messages == []

    update_outage(session, outage, actor="cli:noc", subscriber_message="Fix under way.")
    session.commit()
    assert settle()
    [email] = smtp.messages
    assert "Fix under way." in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert email["Subject"].startswith("Update")


def test_unsubscribed_addresses_are_refused_and_notices_carry_one_click_unsubscribe(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550501", ["gone@example.com"])
    subscriber("+14155550502", ["stays@example.com"])
    db.session.add(OptOut(channel=Channel.EMAIL, address="gone@example.com", source="test"))
    db.session.commit()

    outage = _start()

    [email] = smtp.messages
    assert str(email["To"]) == "stays@example.com"
    assert email["List-Unsubscribe"].startswith("<https://backline.example.test/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["Auto-Submitted"] == "auto-generated"
    refused = db.session.scalars(
        select(NoticeMessage).where(NoticeMessage.state == MessageState.REFUSED)
    ).one()
    assert (refused.address, refused.last_error) == (
        "gone@example.com",
        "unsubscribed from notices",
    )
    notice = db.session.scalars(select(Notice).where(Notice.outage_id == outage.id)).one()
    db.session.refresh(notice)
    assert notice.state == NoticeState.DONE


def test_a_notice_with_nobody_to_tell_is_done_at_once(app: Flask, smtp: SmtpSink) -> None:
    outage = _start(regions=["nowhere"])
    notice = db.session.scalars(select(Notice).where(Notice.outage_id == outage.id)).one()
    assert notice.state == NoticeState.DONE
    assert smtp.messages == []
