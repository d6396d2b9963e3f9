"""Reminders: the admins hear about an outage left without an update or past its ETR, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.core.logging import configure_logging
from app.models import JobState, Outage, utcnow
from app.outages.lifecycle import resolve_outage, update_outage
from app.outages.reminders import remind_admins
from forwarding.mailer import SmtpMailer
from tests.conftest import ADMIN_EMAIL
from tests.support.smtp import RelaySink, SmtpSink


def _reload(outage: Outage) -> Outage:
    row = db.session.get(Outage, outage.id)
    assert row is not None
    return row


def _age(outage: Outage, minutes: float) -> None:
    """Pretend the outage's last update was `minutes` ago."""
    row = _reload(outage)
    row.updated_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def _body(message: Any) -> str:
    return str(message.get_content())


def _reminder_memory() -> list[str]:
    return list(db.session.scalars(select(JobState.name).where(JobState.name.like("reminder.%"))))


@pytest.mark.parametrize(
    ("after", "age", "emails"),
    [(30, 29, 0), (30, 31, 1), (30, 24 * 60, 1), (10, 11, 1), (10, 9, 0)],
)
def test_an_outage_without_an_update_for_too_long_reminds_the_admins(
    app: Flask, outage: Any, smtp: SmtpSink, after: int, age: int, emails: int
) -> None:
    app.config["BACKLINE_REMINDER_AFTER_MINUTES"] = after
    stale = outage()
    _age(stale, age)
    assert remind_admins() == emails
    assert len(smtp.messages) == emails


def test_a_stale_outage_reminds_once_with_what_the_admins_need(outage: Any, smtp: SmtpSink) -> None:
    stale = outage(subscriber_message="Our platform is down; calls go to voicemail.")
    _age(stale, 45)

    assert remind_admins() == 1
    [message] = smtp.messages
    assert smtp.recipients == [[ADMIN_EMAIL]]
    assert message["To"] == ADMIN_EMAIL
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == f"Outage {stale.id} needs an update: no update for 45 minutes"
    body = _body(message)
    assert "(45 minutes ago)" in body
    assert "ETR:          none given" in body
    assert "every subscriber" in body
    assert "Our platform is down; calls go to voicemail." in body
    assert f"backline outage update {stale.id} --message" in body
    assert f"backline outage resolve {stale.id}" in body

    assert remind_admins() == 0
    assert remind_admins() == 0
    assert len(smtp.messages) == 1


def test_an_update_rearms_the_reminder(outage: Any, smtp: SmtpSink) -> None:
    stale = outage()
    _age(stale, 31)
    assert remind_admins() == 1

    update_outage(
        db.session(),
        _reload(stale),
        actor="test",
        subscriber_message="Still on it.",
    )
    db.session.commit()
    assert remind_admins() == 0  # just updated: nothing to remind about

    _age(stale, 31)
    assert remind_admins() == 1
    assert len(smtp.messages) == 2
    assert "Still on it." in _body(smtp.messages[1])


def test_a_passed_etr_reminds_once(outage: Any, smtp: SmtpSink) -> None:
    late = outage()
    update_outage(
        db.session(),
        _reload(late),
        actor="test",
        etr=utcnow() - timedelta(minutes=5, seconds=10),
    )
    db.session.commit()

    assert remind_admins() == 1
    [message] = smtp.messages
    assert message["Subject"] == f"Outage {late.id} needs an update: its ETR has passed"
    assert "(passed 5 minutes ago)" in _body(message)

    assert remind_admins() == 0
    assert len(smtp.messages) == 1


def test_a_future_etr_reminds_nobody(outage: Any, smtp: SmtpSink) -> None:
    fresh = outage()
    update_outage(
        db.session(),
        _reload(fresh),
        actor="test",
        etr=utcnow() + timedelta(hours=1),
    )
    db.session.commit()
    assert remind_admins() == 0
    assert smtp.messages == []


def test_stale_and_past_its_etr_is_one_email_naming_both(outage: Any, smtp: SmtpSink) -> None:
    late = outage()
    row = _reload(late)
    row.etr = utcnow() - timedelta(minutes=20)
    db.session.commit()
    _age(late, 40)

    assert remind_admins() == 1
    assert remind_admins() == 0
    [message] = smtp.messages
    assert "no update for 40 minutes and its ETR has passed" in message["Subject"]


def test_resolved_outages_remind_nobody_and_are_forgotten(outage: Any, smtp: SmtpSink) -> None:
    first, second = outage(), outage()
    _age(first, 60)
    assert remind_admins() == 1
    assert _reminder_memory() == [f"reminder.{first.id}.stale"]

    for row in (first, second):
        resolve_outage(db.session(), _reload(row), actor="test")
    db.session.commit()
    _age(first, 60)
    _age(second, 60)

    assert remind_admins() == 0
    assert len(smtp.messages) == 1
    assert _reminder_memory() == []


def test_without_admin_email_it_logs_and_sends_nothing(
    app: Flask, outage: Any, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(json_output=False)  # again, now: its lines go to this test's stderr
    stale = outage()
    _age(stale, 31)
    app.config["ADMIN_EMAIL"] = None

    assert remind_admins() == 0
    assert smtp.messages == []
    assert "ADMIN_EMAIL is unset" in capsys.readouterr().err
    assert _reminder_memory() == []

    app.config["ADMIN_EMAIL"] = ADMIN_EMAIL  # set later: the reminder was never marked as sent
    assert remind_admins() == 1


def test_a_reminder_that_cannot_be_sent_goes_on_the_next_run(
    app: Flask, outage: Any, relay: RelaySink
) -> None:
    app.extensions["backline.mailer"] = SmtpMailer(relay.url, timeout=5)
    stale = outage()
    _age(stale, 31)
    relay.down()
    assert remind_admins() == 0
    assert _reminder_memory() == []

    relay.up()
    assert remind_admins() == 1
    assert remind_admins() == 0
    assert len(relay.messages) == 1
