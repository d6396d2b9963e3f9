"""Relays' answers and connections: refused or deferred recipients, SES errors, TLS and reuse."""

from __future__ import annotations

import secrets
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.core.mail import MailError, PermanentMailError
from app.models import AttemptOutcome, DeliveryState
from forwarding.mailer import SmtpMailer
from forwarding.ses import SesMailer
from forwarding.tasks import alert_admins, send_voicemail_email
from tests.conftest import ADMIN_EMAIL
from tests.forwarding.conftest import Configure
from tests.forwarding.delivery_helpers import SENDER_DOMAIN, attempts, new_delivery, stored
from tests.helpers import free_port, make_certificate
from tests.support.aws import SesServer
from tests.support.smtp import RelaySink


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


def test_the_admins_own_address_failing_is_not_alerted_about_itself(
    configure: Configure, relay: RelaySink
) -> None:
    configure(SMTP_URL=relay.url)
    relay.refused.add(ADMIN_EMAIL)
    delivery_id = new_delivery(ADMIN_EMAIL)
    send_voicemail_email(delivery_id)
    assert stored(delivery_id).state == DeliveryState.FAILED
    relay.refused.clear()  # the relay takes the admins' mail again when the alert job runs

    alert_admins(delivery_id)

    assert relay.messages == []


def test_a_deferred_recipient_is_retried_not_failed(configure: Configure, relay: RelaySink) -> None:
    configure(SMTP_URL=relay.url)
    relay.deferring = True
    delivery_id = new_delivery()

    with pytest.raises(MailError) as failure:
        send_voicemail_email(delivery_id)

    assert not isinstance(failure.value, PermanentMailError)
    delivery = stored(delivery_id)
    assert delivery.state == DeliveryState.DELAYED
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
