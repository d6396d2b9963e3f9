"""Deliveries whose job was lost are sent again, once; ones in flight or done are left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.core.extensions import db, jobs
from app.models import Delivery, DeliveryAttempt, DeliveryState, utcnow
from forwarding.attempts import RETRY_CAP
from forwarding.sweeper import sweep_deliveries
from tests.conftest import SmtpSink, TwilioHelper


@pytest.fixture
def delivered(twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: SmtpSink) -> int:
    """One voicemail emailed once; returns its delivery id."""
    subscriber(number="+14155550100")
    outage()
    twilio.leave_voicemail("+14155550100", seconds=2)
    smtp.wait_for(1)
    jobs.wait_idle(10)
    db.session.rollback()
    delivery = db.session.query(Delivery).one()
    return delivery.id


def _set(
    delivery_id: int, state: str, created_ago: timedelta, attempted_ago: timedelta | None
) -> None:
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(state=state, created_at=utcnow() - created_ago)
    )
    if attempted_ago is not None:
        db.session.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .values(at=utcnow() - attempted_ago)
        )
    db.session.commit()


def test_a_pending_delivery_nobody_works_on_is_sent_again(delivered: int, smtp: SmtpSink) -> None:
    _set(delivered, DeliveryState.PENDING, timedelta(hours=1), timedelta(minutes=30))
    assert sweep_deliveries() == 1
    smtp.wait_for(2)


def test_a_delayed_delivery_is_tried_again_once_the_capped_backoff_has_passed(
    delivered: int, smtp: SmtpSink
) -> None:
    _set(delivered, DeliveryState.DELAYED, timedelta(days=3), RETRY_CAP + timedelta(seconds=5))
    assert sweep_deliveries() == 1
    smtp.wait_for(2)


def test_a_sending_delivery_past_its_lease_is_resent_with_the_same_message_id(
    delivered: int, smtp: SmtpSink
) -> None:
    _set(delivered, DeliveryState.SENDING, timedelta(hours=1), timedelta(minutes=5))
    assert sweep_deliveries() == 1
    first, second = smtp.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]


@pytest.mark.parametrize(
    ("state", "attempted_ago"),
    [
        (DeliveryState.PENDING, timedelta(minutes=1)),  # its job's backoff is still running
        (DeliveryState.DELAYED, RETRY_CAP - timedelta(seconds=30)),  # backing off
        (DeliveryState.SENDING, timedelta(seconds=30)),  # a worker is sending it now
        (DeliveryState.ACCEPTED, timedelta(hours=1)),
        (DeliveryState.FAILED, timedelta(hours=1)),
        (DeliveryState.BOUNCED, timedelta(hours=1)),
    ],
)
def test_deliveries_in_flight_or_finished_are_left_alone(
    delivered: int, smtp: SmtpSink, state: str, attempted_ago: timedelta
) -> None:
    _set(delivered, state, timedelta(hours=1), attempted_ago)
    assert sweep_deliveries() == 0
    jobs.wait_idle(5)
    assert len(smtp.messages) == 1
