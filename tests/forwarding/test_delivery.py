"""Email delivery through real relays: SMTP down and up, SES as the fallback, the duplicate window,
refused recipients, connection reuse. Messages are counted where they land.

The job functions are called directly (with REDIS_URL set, queued jobs would run in the worker
process, which uses the session's mail settings, not these).
"""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db, storage
from app.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Voicemail,
    VoicemailStatus,
    utcnow,
)
from forwarding.attempts import LEASE, DeliveryBusy
from forwarding.mailer import MailError, PermanentMailError, SmtpMailer
from forwarding.ses import SesMailer
from forwarding.tasks import send_voicemail_email
from tests.conftest import ACCOUNT_SID, ADMIN_EMAIL, RelaySink, SesServer
from tests.helpers import free_port, make_certificate, mp3_attachment

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400)  # stands in for audio: delivery is the point
SENDER_DOMAIN = "provider.example"  # the test settings' MAIL_FROM domain

Configure = Callable[..., Flask]


@pytest.fixture
def configure(app: Flask, settings: dict[str, Any]) -> Iterator[Configure]:
    """Make an app with these mail settings and work inside it for the rest of the test."""
    contexts = []

    def make(**overrides: Any) -> Flask:
        configured = create_app({**settings, **overrides})
        context = configured.app_context()
        context.push()
        contexts.append(context)
        return configured

    yield make
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def with_ses(ses: SesServer, monkeypatch: pytest.MonkeyPatch) -> SesServer:
    """SES (moto) reachable through AWS_ENDPOINT_URL, with the sender's domain verified."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", ses.url)
    ses.verify(SENDER_DOMAIN)
    return ses


def new_delivery(address: str = "office@acme.example") -> int:
    """A stored voicemail (its MP3 in storage) with one pending delivery; returns its id."""
    recording_sid = "RE" + secrets.token_hex(16)
    key = f"voicemails/test/{recording_sid}.mp3"
    storage().put(key, MP3, "audio/mpeg")
    voicemail = Voicemail(
        recording_sid=recording_sid,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        caller_number="+14155550123",
        duration_ms=4000,
        status=VoicemailStatus.STORED,
        mp3_key=key,
        processed_at=utcnow(),
    )
    delivery = Delivery(voicemail=voicemail, address=address)
    db.session.add_all([voicemail, delivery])
    db.session.commit()
    return delivery.id


def stored(delivery_id: int) -> Delivery:
    """The delivery as the database holds it now."""
    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    return delivery


def attempts(delivery_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    ).all()
    return [(a.provider, a.outcome) for a in rows]


def test_smtp_down_then_up_delivers_once(configure: Configure, relay: RelaySink) -> None:
    configure(SMTP_URL=relay.url)
    delivery_id = new_delivery()
    relay.down()

    with pytest.raises(MailError) as failure:
        send_voicemail_email(delivery_id)
    assert not isinstance(failure.value, PermanentMailError)
    assert stored(delivery_id).state == DeliveryState.PENDING
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


def test_a_refused_recipient_fails_the_delivery_and_alerts_the_admins_once(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url)
    relay.refused.add("gone@acme.example")
    delivery_id = new_delivery("gone@acme.example")

    send_voicemail_email(delivery_id)  # no exception: retrying would not help
    send_voicemail_email(delivery_id)  # a repeated job changes nothing

    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.FAILED
    assert "550" in (delivery.last_error or "")
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.PERMANENT)]
    [alert] = relay.wait_for(1)
    assert alert["To"] == ADMIN_EMAIL
    assert "gone@acme.example" in alert["Subject"] and "550" in alert["Subject"]
    assert alert["Auto-Submitted"] == "auto-generated"
    assert f"backline deliveries retry {delivery_id}" in alert.get_content()


def test_the_admins_own_address_refused_is_not_alerted_about_itself(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url)
    relay.refused.add(ADMIN_EMAIL)
    delivery_id = new_delivery(ADMIN_EMAIL)

    send_voicemail_email(delivery_id)

    assert stored(delivery_id).state == DeliveryState.FAILED
    time.sleep(0.2)
    assert relay.messages == []


def test_a_deferred_recipient_is_retried_not_failed(configure: Configure, relay: RelaySink) -> None:
    configure(SMTP_URL=relay.url)
    relay.deferring = True
    delivery_id = new_delivery()

    with pytest.raises(MailError) as failure:
        send_voicemail_email(delivery_id)

    assert not isinstance(failure.value, PermanentMailError)
    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.PENDING
    assert "451" in (delivery.last_error or "")
    relay.deferring = False
    send_voicemail_email(delivery_id)
    relay.wait_for(1)


def test_one_connection_carries_several_messages_and_a_dropped_one_is_replaced(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url)
    ids = [new_delivery(f"person{n}@acme.example") for n in range(4)]

    for delivery_id in ids[:3]:
        send_voicemail_email(delivery_id)
    relay.wait_for(3)
    assert relay.connections == 1

    relay.down()  # the relay restarts, dropping the idle connection
    relay.up()
    time.sleep(SmtpMailer.PROBE_AFTER_S + 0.1)
    send_voicemail_email(ids[3])

    relay.wait_for(4)
    assert relay.connections == 2
    assert all(stored(i).state == DeliveryState.ACCEPTED for i in ids)


def _message(to: str = "office@acme.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"voicemail@{SENDER_DOMAIN}"
    message["To"] = to
    message["Subject"] = "test"
    message["Message-ID"] = f"<{secrets.token_hex(8)}@{SENDER_DOMAIN}>"
    message.set_content("hello")
    return message


@pytest.mark.parametrize("tls", ["smtps", "starttls"])
def test_tls_and_login_over_one_reused_connection(
    tls: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = make_certificate("127.0.0.1")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))  # the client trusts it
    relay = RelaySink(
        ssl_context=server_context if tls == "smtps" else None,
        tls_context=server_context if tls == "starttls" else None,
        login=("backline", "s3cret"),
    )
    relay.up()
    try:
        mailer = SmtpMailer(relay.url)
        mailer.send(_message())
        mailer.send(_message())
        relay.wait_for(2)
        mailer.close()
    finally:
        relay.down()
    assert relay.connections == 1
    assert relay.logins == ["backline"]


def test_ses_refusals_are_permanent_and_an_unreachable_ses_is_transient(
    with_ses: SesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = SesMailer(with_ses.region)
    unverified = _message()
    unverified.replace_header("From", "someone@unverified.example")
    with pytest.raises(PermanentMailError, match="MessageRejected"):
        mailer.send(unverified)

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(MailError) as failure:
        SesMailer(with_ses.region).send(_message())
    assert not isinstance(failure.value, PermanentMailError)


def test_a_delivery_that_keeps_failing_is_given_up_and_left_for_the_admins(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url, BACKLINE_MAX_DELIVERY_ATTEMPTS=2)
    delivery_id = new_delivery()
    relay.down()
    with pytest.raises(MailError):
        send_voicemail_email(delivery_id)
    send_voicemail_email(delivery_id)  # the last allowed attempt: no exception, no more retries
    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.FAILED
    assert (delivery.last_error or "").startswith("gave up after 2 attempts")
    send_voicemail_email(delivery_id)  # a job left in the queue changes nothing
    assert attempts(delivery_id) == [("smtp", AttemptOutcome.TRANSIENT)] * 2
