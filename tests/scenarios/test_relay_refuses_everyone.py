"""Voicemail emails meet a relay that refuses every recipient ("relay access denied").

Callers leave voicemails through signed webhooks; Backline processes and emails them itself
(REDIS_URL unset in this app, so its jobs run here with these mail settings). The relay's first
refusals look like bad addresses; once BACKLINE_MAIL_PROVIDER_REFUSALS different recipients
are refused with nothing accepted in between, the refusals are the relay's: they are sent again
through MAIL_FALLBACK_URL, later voicemails go there directly, the admins get one alert, and
once the relay is fixed the next probe finds it and mail goes through it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.core.extensions import db, jobs
from app.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState
from forwarding.providers import PROBE_EVERY
from tests.conftest import ADMIN_EMAIL, TwilioHelper
from tests.helpers import mp3_attachment, wait_until
from tests.support.app_state import built_app
from tests.support.smtp import RelaySink

NUMBERS = [f"+1415555010{n}" for n in range(4)]
REFUSALS = 3


@pytest.fixture
def second() -> Iterator[RelaySink]:
    sink = RelaySink()
    sink.up()
    yield sink
    sink.down()


def _voicemails(relay: RelaySink) -> list[str]:
    return sorted(m["To"] for m in relay.messages if m["To"] != ADMIN_EMAIL)


def _deliveries() -> list[Delivery]:
    db.session.rollback()  # see what this app's job thread committed
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def _leave(web: Flask, twilio: TwilioHelper, number: str) -> None:
    helper = TwilioHelper(web.test_client(), twilio.media)
    with web.app_context():
        helper.leave_voicemail(number, seconds=2)
        assert jobs.wait_idle(120)  # processed and sent before the next caller, as in life


@pytest.fixture
def web(settings: dict[str, Any], relay: RelaySink, second: RelaySink) -> Iterator[Flask]:
    """The web process: jobs in-process, the relay first and `second` as the fallback."""
    with built_app(
        {
            **settings,
            "REDIS_URL": None,
            "SMTP_URL": relay.url,
            "MAIL_FALLBACK_URL": second.url,
            "BACKLINE_MAIL_PROVIDER_REFUSALS": REFUSALS,
        }
    ) as made:
        yield made


def test_a_relay_refusing_everyone_hands_the_voicemails_to_the_fallback_and_back(
    app: Flask,
    web: Flask,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    relay: RelaySink,
    second: RelaySink,
) -> None:
    for n, number in enumerate([*NUMBERS, "+14155550199"]):
        subscriber(number=number, emails=[f"desk@firm{n}.example"])
    outage()
    relay.refusing_all = True

    for number in NUMBERS:
        _leave(web, twilio, number)

    wanted = [f"desk@firm{n}.example" for n in range(len(NUMBERS))]
    wait_until(lambda: _voicemails(second) == wanted, timeout=60)  # the last straw's retry: 10 s
    assert all(mp3_attachment(m) for m in second.messages if m["To"] != ADMIN_EMAIL)
    deliveries = _deliveries()
    assert [(d.state, d.provider) for d in deliveries] == [
        (DeliveryState.ACCEPTED, "smtp-fallback")
    ] * len(NUMBERS)
    assert [o for _p, o in _attempts(deliveries[-1].id)] == [AttemptOutcome.ACCEPTED]  # direct
    [alert] = [m for m in second.messages if m["To"] == ADMIN_EMAIL]
    assert "smtp is refusing every recipient" in alert["Subject"]
    assert "Relay access denied" in alert["Subject"]
    assert relay.messages == []

    relay.refusing_all = False  # the relay's owner fixes it; its next probe is due
    _age_refusals(PROBE_EVERY + timedelta(seconds=1))
    _leave(web, twilio, "+14155550199")

    [fixed] = relay.wait_for(1)
    assert fixed["To"] == "desk@firm4.example"
    assert len(second.messages) == len(NUMBERS) + 1  # nothing more through the fallback


def _attempts(delivery_id: int) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    )
    return [(a.provider, a.outcome) for a in rows]


def _age_refusals(by: timedelta) -> None:
    """Move the relay's refusals back in time, as if the fallback had carried mail that long."""
    for attempt in db.session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.outcome == AttemptOutcome.REFUSED_ALL)
    ):
        db.session.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.id == attempt.id)
            .values(at=attempt.at - by)
        )
    db.session.commit()
