"""Reminders to the admins about outages that overlap.

A reminder must be true for the admin who reads it: callers of subscribers that a more recently
updated outage also covers hear that one, not this one; and resolving an outage will not tell
subscribers that another outage still covers that service is back.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from app.core.extensions import db
from app.models import Outage, utcnow
from app.outages.reminders import remind_admins
from tests.conftest import ADMIN_EMAIL
from tests.helpers import wait_until
from tests.scenarios.overlap_helpers import EAST, WEST, start
from tests.support.smtp import SmtpSink


def _age(outage_id: int, minutes: int) -> None:
    """Pretend the outage's last update was `minutes` ago."""
    row = db.session.get_one(Outage, outage_id)
    row.updated_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def _reminders(smtp: SmtpSink) -> dict[int, str]:
    """The reminders the admins got, by outage id."""
    found: dict[int, str] = {}
    for message in smtp.messages:
        if message["To"] == ADMIN_EMAIL and message["Subject"].startswith("Outage "):
            found[int(message["Subject"].split()[1])] = _text(message)
    return found


def _text(message: EmailMessage) -> str:
    return str(message.get_content())


def test_reminders_say_which_outage_callers_hear_and_whom_a_resolve_leaves_out(
    cli: Any, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber(WEST, ["west@acme.example"], region="us-west")
    subscriber(EAST, ["east@acme.example"], region="us-east")
    west_only = start(cli, "--region", "us-west", "--message", "West is down.")
    wide = start(cli, "--all", "--message", "Everything is down.")
    smtp.clear()
    _age(west_only, 50)
    _age(wide, 45)  # updated after the us-west outage: callers in us-west hear it

    remind_admins()  # the worker's own run may have sent some already
    wait_until(lambda: len(_reminders(smtp)) == 2, 30)

    reminders = _reminders(smtp)
    west = reminders[west_only]
    assert "callers are still" not in west
    assert f"Callers of 1 of its 1 subscriber(s) hear outage {wide} instead" in west
    wide_text = reminders[wide]
    assert "Callers of 2 of its 2 subscriber(s) hear it." in wide_text
    assert f"outage {west_only} still covers 1 of its subscribers" in wide_text
