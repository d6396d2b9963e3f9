"""Email delivery retried through real relays: SMTP down and up, fallbacks, the duplicate window."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.config import DEFAULTS
from app.core.extensions import db
from app.core.mail import MailError, PermanentMailError
from app.models import AttemptOutcome, DeliveryAttempt, DeliveryState, utcnow
from forwarding.attempts import LEASE, RETRY_CAP, DeliveryBusy
from forwarding.sweeper import sweep_deliveries
from forwarding.tasks import send_voicemail_email
from tests.forwarding.conftest import Configure
from tests.forwarding.delivery_helpers import (
    MP3,
    SENDER_DOMAIN,
    attempts,
    new_delivery,
    stored,
)
from tests.helpers import mp3_attachment, wait_until
from tests.support.aws import SesServer
from tests.support.smtp import RelaySink

DEFAULT_MAX_ATTEMPTS = DEFAULTS["BACKLINE_MAX_DELIVERY_ATTEMPTS"]


def test_smtp_down_then_up_delivers_once(configure: Configure, relay: RelaySink) -> None:
    configure(SMTP_URL=relay.url)
    delivery_id = new_delivery()
    relay.down()

    with pytest.raises(MailError) as failure:
        send_voicemail_email(delivery_id)
    assert not isinstance(failure.value, PermanentMailError)
    assert stored(delivery_id).state == DeliveryState.DELAYED
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.TRANSIENT)]

    relay.up()
    send_voicemail_email(delivery_id)
    send_voicemail_email(delivery_id)  # a repeated job: already accepted, nothing sent

    [message] = relay.wait_for(1)
    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.ACCEPTED
    assert message["Message-ID"] == delivery.message_id
    assert mp3_attachment(message) == MP3
    assert attempts(delivery_id) == [
        ("smtp", AttemptOutcome.TRANSIENT),
        ("smtp", AttemptOutcome.ACCEPTED),
    ]


def test_smtp_down_for_good_goes_through_ses_once_with_the_same_message_id(
    configure: Configure, relay: RelaySink, with_ses: SesServer
) -> None:
    configure(SMTP_URL=relay.url, MAIL_FALLBACK_URL=f"ses://{with_ses.region}")
    delivery_id = new_delivery()
    relay.down()

    for _ in range(3):  # BACKLINE_MAIL_FALLBACK_AFTER, by default
        with pytest.raises(MailError):
            send_voicemail_email(delivery_id)
    message_id = stored(delivery_id).message_id
    assert message_id and with_ses.sent(message_id) == []

    send_voicemail_email(delivery_id)
    send_voicemail_email(delivery_id)

    [message] = with_ses.sent(message_id)
    assert message["Message-ID"] == message_id
    assert message["To"] == "office@acme.example"
    assert mp3_attachment(message) == MP3
    delivery = stored(delivery_id)
    assert (delivery.state, delivery.provider) == (DeliveryState.ACCEPTED, "ses")
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.TRANSIENT)] * 3 + [
        ("ses", AttemptOutcome.ACCEPTED)
    ]
    relay.up()
    send_voicemail_email(delivery_id)
    assert relay.messages == []


def test_the_fallback_can_be_another_smtp_relay(configure: Configure, relay: RelaySink) -> None:
    second = RelaySink()
    second.up()
    try:
        configure(SMTP_URL=relay.url, MAIL_FALLBACK_URL=second.url, BACKLINE_MAIL_FALLBACK_AFTER=1)
        delivery_id = new_delivery()
        relay.down()
        with pytest.raises(MailError):
            send_voicemail_email(delivery_id)
        send_voicemail_email(delivery_id)
        [message] = second.wait_for(1)
    finally:
        second.down()
    assert message["Message-ID"] == stored(delivery_id).message_id
    assert attempts(delivery_id) == [
        ("smtp", AttemptOutcome.TRANSIENT),
        ("smtp-fallback", AttemptOutcome.ACCEPTED),
    ]


def _leave_in_the_duplicate_window(delivery_id: int, provider: str, since: timedelta) -> str:
    """Make the row look like a worker died between the relay's answer and the commit."""
    delivery = stored(delivery_id)
    delivery.state, delivery.provider = DeliveryState.SENDING, provider
    delivery.message_id = (
        f"<voicemail.{delivery.voicemail.recording_sid}.{delivery.id}@{SENDER_DOMAIN}>"
    )
    delivery.attempts += 1
    db.session.add(DeliveryAttempt(delivery_id=delivery_id, provider=provider, at=utcnow() - since))
    db.session.commit()
    return delivery.message_id


@pytest.mark.parametrize("provider", ["smtp", "ses"])
def test_a_delivery_left_sending_is_resent_through_its_provider_with_the_same_message_id(
    configure: Configure, relay: RelaySink, with_ses: SesServer, provider: str
) -> None:
    configure(SMTP_URL=relay.url, MAIL_FALLBACK_URL=f"ses://{with_ses.region}")
    delivery_id = new_delivery()
    if provider == "smtp":  # enough SMTP failures that a fresh attempt would take SES
        for _ in range(3):
            db.session.add(
                DeliveryAttempt(delivery_id=delivery_id, provider="smtp", outcome="transient")
            )
    message_id = _leave_in_the_duplicate_window(delivery_id, provider, since=LEASE * 2)

    send_voicemail_email(delivery_id)

    via_smtp, via_ses = relay.messages, with_ses.sent(message_id)
    [message] = via_smtp if provider == "smtp" else via_ses
    assert (via_ses if provider == "smtp" else via_smtp) == []
    assert message["Message-ID"] == message_id
    delivery = stored(delivery_id)
    assert (delivery.state, delivery.provider) == (DeliveryState.ACCEPTED, provider)
    assert attempts(delivery_id)[-2:] == [
        (provider, AttemptOutcome.INTERRUPTED),
        (provider, AttemptOutcome.ACCEPTED),
    ]


def test_a_fresh_sending_attempt_is_left_to_its_worker_until_its_lease_ends(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url)
    delivery_id = new_delivery()
    _leave_in_the_duplicate_window(delivery_id, "smtp", since=timedelta(seconds=5))

    with pytest.raises(DeliveryBusy):
        send_voicemail_email(delivery_id)
    assert relay.messages == []
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.SENDING)]

    attempt = db.session.scalars(select(DeliveryAttempt)).one()
    attempt.at = utcnow() - LEASE - timedelta(seconds=1)
    db.session.commit()
    send_voicemail_email(delivery_id)
    relay.wait_for(1)


def test_concurrent_jobs_for_one_delivery_send_it_once(
    configure: Configure, relay: RelaySink
) -> None:
    configured = configure(SMTP_URL=relay.url)
    delivery_id = new_delivery()
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def run() -> None:
        with configured.app_context():
            start.wait()
            try:
                send_voicemail_email(delivery_id)
                outcomes.append("returned")
            except DeliveryBusy:
                outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(outcomes) == 4, outcomes
    relay.wait_for(1)
    time.sleep(0.2)
    assert len(relay.messages) == 1
    assert [o for _p, o in attempts(delivery_id)] == [AttemptOutcome.ACCEPTED]


def test_a_relay_down_past_the_old_give_up_horizon_stays_delayed_and_goes_when_it_returns(
    configure: Configure, relay: RelaySink
) -> None:
    """With the defaults, attempt 12 (about 33 minutes) used to fail the delivery for good."""
    configure(SMTP_URL=relay.url, REDIS_URL=None)  # the sweeper's jobs run here, on this relay
    delivery_id = new_delivery()
    relay.down()
    for _ in range(DEFAULT_MAX_ATTEMPTS + 2):
        with pytest.raises(MailError):
            send_voicemail_email(delivery_id)

    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.DELAYED
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.TRANSIENT)] * (
        DEFAULT_MAX_ATTEMPTS + 2
    )
    assert sweep_deliveries(now=utcnow() + RETRY_CAP - timedelta(seconds=30)) == 0  # backing off
    relay.up()
    assert sweep_deliveries(now=utcnow() + RETRY_CAP + timedelta(seconds=1)) == 1

    [message] = relay.wait_for(1)  # the voicemail, and no alert: nothing failed
    assert message["To"] == "office@acme.example"
    wait_until(lambda: stored(delivery_id).state == DeliveryState.ACCEPTED)
    assert timedelta(minutes=5) >= RETRY_CAP
    assert max(send_voicemail_email.job_spec.retry_intervals) <= RETRY_CAP.total_seconds()  # type: ignore[attr-defined]
