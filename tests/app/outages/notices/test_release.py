"""Automatic outages tell subscribers only once a person confirms them or they keep firing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.models import Notice, NoticeKind, NoticeState, OutageSource, utcnow
from app.outages.lifecycle import Scope, confirm_outage, resolve_outage, start_outage, update_outage
from app.outages.notices.policy import release_overdue
from tests.conftest import settle
from tests.support.smtp import SmtpSink


def _automatic() -> Any:
    outage = start_outage(
        db.session(),
        actor="detector",
        scope=Scope(),
        subscriber_message="Calls may not reach you.",
        source=OutageSource.DETECTOR,
    )
    db.session.commit()
    assert settle()
    return outage


def _notices(outage_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notice).where(Notice.outage_id == outage_id).order_by(Notice.id)
    )
    return [(notice.kind, notice.state) for notice in rows]


def test_an_automatic_outage_holds_its_notice_until_a_person_confirms(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550601", ["a@example.com"])
    outage = _automatic()
    update_outage(db.session(), outage, actor="detector", state="monitoring")
    update_outage(db.session(), outage, actor="detector", state="investigating")
    db.session.commit()
    assert settle()
    assert smtp.messages == []
    assert _notices(outage.id) == [("start", "held")]

    assert confirm_outage(db.session(), outage, actor="api:noc") is True
    db.session.commit()
    assert settle()
    assert confirm_outage(db.session(), outage, actor="api:noc") is False

    [email] = smtp.messages
    assert "Calls may not reach you." in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _notices(outage.id) == [("start", "done")]
    assert outage.confirmed_by == "api:noc"
    assert [e.action for e in outage.events][-1] == "confirm"


def test_a_persons_change_confirms_and_the_notice_says_what_is_current(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550602", ["a@example.com"])
    outage = _automatic()
    update_outage(db.session(), outage, actor="cli:noc", subscriber_message="Carrier fault.")
    db.session.commit()
    assert settle()

    [email] = smtp.messages  # one notice: the start, released with the new message
    assert "Carrier fault." in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _notices(outage.id) == [("start", "done")]


def test_it_notifies_by_itself_after_firing_for_the_configured_time(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550603", ["a@example.com"])
    app.config["BACKLINE_AUTO_NOTIFY_AFTER"] = 5
    outage = _automatic()
    assert release_overdue() == 0

    outage.started_at = utcnow() - timedelta(minutes=5, seconds=1)
    db.session.commit()
    assert release_overdue() == 1
    assert settle()
    assert release_overdue() == 0

    assert len(smtp.messages) == 1
    assert outage.confirmed_by is not None and outage.confirmed_by.startswith("auto-notify")


def test_an_outage_that_stopped_firing_before_anyone_confirmed_is_never_announced(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550604", ["a@example.com"])
    outage = _automatic()
    update_outage(db.session(), outage, actor="alertmanager:noc", state="monitoring")
    outage.started_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert release_overdue() == 0  # monitoring: not firing any more

    resolve_outage(db.session(), outage, actor="detector")
    db.session.commit()
    assert settle()

    assert smtp.messages == []
    assert _notices(outage.id) == [("start", NoticeState.CANCELLED)]


def test_a_persons_outage_notifies_at_start_and_on_resolve(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550605", ["a@example.com"])
    outage = start_outage(db.session(), actor="api:noc", scope=Scope(), source=OutageSource.API)
    db.session.commit()
    resolve_outage(db.session(), outage, actor="api:noc")
    db.session.commit()
    assert settle()

    assert sorted(m["Subject"].split(":")[0] for m in smtp.messages) == [
        "Resolved",
        "Service disruption",
    ]
    assert _notices(outage.id) == [(NoticeKind.START, "done"), (NoticeKind.RESOLVE, "done")]
