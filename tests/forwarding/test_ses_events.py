"""`/forwarding/ses-events`: SNS-signed SES notifications, verified with a real certificate
served by a local HTTP server (production accepts only Amazon SNS hosts)."""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from forwarding.sns import AWS_SNS_ORIGIN, is_sns_url
from tests.conftest import ACCOUNT_SID, ADMIN_EMAIL, SmtpSink
from tests.helpers import make_certificate

TOPIC = "arn:aws:sns:us-east-1:123456789012:backline-ses"
PATH = "/forwarding/ses-events"


@functools.cache
def _certificate() -> tuple[bytes, bytes]:
    return make_certificate("sns.test")


class SnsStandIn:
    """Serves the signing certificate and records every request (cert fetches, confirmations)."""

    def __init__(self) -> None:
        cert, key = _certificate()
        self.cert = cert
        private = serialization.load_pem_private_key(key, password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        self.key = private
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                body = (
                    stand_in.cert
                    if self.path.endswith(".pem")
                    else b"<ConfirmSubscriptionResponse/>"
                )
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.pattern = re.escape(self.url)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def sign(
        self, message: dict[str, Any], version: str = "1", cert_url: str | None = None
    ) -> dict[str, Any]:
        """Sign as Amazon SNS does: `Name\\nValue\\n` for each signed field, in AWS's order."""
        if message["Type"] == "Notification":
            names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            names = [
                "Message",
                "MessageId",
                "SubscribeURL",
                "Timestamp",
                "Token",
                "TopicArn",
                "Type",
            ]
        text = "".join(f"{n}\n{message[n]}\n" for n in names if n in message).encode()
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text, padding.PKCS1v15(), digest)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            # a fresh path per test keeps the certificate cache from hiding a fetch
            "SigningCertURL": cert_url
            or f"{self.url}/SimpleNotificationService-{self.cert_name}.pem",
        }

    cert_name = "x"


@pytest.fixture
def sns() -> Iterator[SnsStandIn]:
    stand_in = SnsStandIn()
    stand_in.cert_name = secrets.token_hex(4)
    yield stand_in
    stand_in.server.shutdown()


@pytest.fixture
def events(app: Flask, settings: dict[str, Any], sns: SnsStandIn) -> Iterator[FlaskClient]:
    """A client of an app that accepts certificates from the local stand-in."""
    configured = create_app({**settings, "BACKLINE_SNS_URL_PATTERN": sns.pattern})
    with configured.app_context():
        yield configured.test_client()


def post(client: FlaskClient, message: Any) -> TestResponse:
    body = message if isinstance(message, bytes | str) else json.dumps(message)
    return client.post(PATH, data=body, headers={"Content-Type": "text/plain; charset=UTF-8"})


def accepted_delivery(address: str = "office@acme.example") -> Delivery:
    voicemail = Voicemail(
        recording_sid="RE" + secrets.token_hex(16),
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        status=VoicemailStatus.STORED,
    )
    row = Delivery(voicemail=voicemail, address=address, state=DeliveryState.ACCEPTED)
    db.session.add_all([voicemail, row])
    db.session.flush()
    row.message_id = f"<voicemail.{voicemail.recording_sid}.{row.id}@provider.example>"
    row.provider = "ses"
    db.session.commit()
    return row


def state_of(delivery_id: int) -> str:
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(Delivery, delivery_id)
    assert row is not None
    return row.state


def ses_bounce(
    message_id: str,
    address: str,
    bounce_type: str = "Permanent",
    where: str = "both",
) -> dict[str, Any]:
    mail: dict[str, Any] = {
        "timestamp": "2026-11-23T10:00:00.000Z",
        "source": "voicemail@provider.example",
        "messageId": "0100018c-ses-own-id-000000",
        "destination": [address],
    }
    if where in ("both", "headers"):
        mail["headers"] = [{"name": "Message-ID", "value": message_id}]
    if where in ("both", "common"):
        mail["commonHeaders"] = {"messageId": message_id.strip("<>")}
    event = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address.upper(),
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-11-23T10:00:01.000Z",
            "feedbackId": "feedback-1",
        },
        "mail": mail,
    }
    return notification(event)


def notification(event: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": secrets.token_hex(16),
        "TopicArn": TOPIC,
        "Message": event if isinstance(event, str) else json.dumps(event),
        "Timestamp": "2026-11-23T10:00:02.000Z",
    }


def confirmation(subscribe_url: str) -> dict[str, Any]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": secrets.token_hex(16),
        "Token": "token-" + secrets.token_hex(8),
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-11-23T10:00:00.000Z",
    }


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("where", ["both", "headers", "common"])
def test_a_signed_permanent_bounce_marks_the_delivery_bounced_and_alerts_the_admins(
    events: FlaskClient, sns: SnsStandIn, smtp: SmtpSink, version: str, where: str
) -> None:
    bounced = accepted_delivery("gone@acme.example")
    same_voicemail_other_address = Delivery(
        voicemail_id=bounced.voicemail_id,
        address="office@acme.example",
        state="accepted",
        message_id=bounced.message_id.replace("@", ".2@") if bounced.message_id else None,
    )
    db.session.add(same_voicemail_other_address)
    db.session.commit()
    assert bounced.message_id

    answer = post(
        events, sns.sign(ses_bounce(bounced.message_id, bounced.address, where=where), version)
    )

    assert answer.status_code == 200, answer.text
    assert answer.json == {"status": "applied", "bounced": [bounced.id]}
    assert state_of(bounced.id) == DeliveryState.BOUNCED
    assert state_of(same_voicemail_other_address.id) == DeliveryState.ACCEPTED
    [alert] = smtp.wait_for(1)
    assert alert["To"] == ADMIN_EMAIL
    assert "gone@acme.example" in alert["Subject"] and "bounced" in alert["Subject"]


def test_a_repeated_bounce_changes_nothing_more(
    events: FlaskClient, sns: SnsStandIn, smtp: SmtpSink
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    message = sns.sign(ses_bounce(delivery.message_id, delivery.address))

    assert post(events, message).json["bounced"] == [delivery.id]
    assert post(events, message).json["bounced"] == []
    smtp.wait_for(1)
    assert sum(1 for path in sns.requests if path.endswith(".pem")) == 1  # the cert is cached


@pytest.mark.parametrize("kind", ["transient", "complaint"])
def test_transient_bounces_and_complaints_are_logged_not_applied(
    events: FlaskClient, sns: SnsStandIn, kind: str
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    if kind == "transient":
        message = ses_bounce(delivery.message_id, delivery.address, bounce_type="Transient")
    else:
        message = notification(
            {
                "notificationType": "Complaint",
                "complaint": {"complaintFeedbackType": "abuse", "complainedRecipients": []},
                "mail": {"commonHeaders": {"messageId": delivery.message_id}},
            }
        )

    answer = post(events, sns.sign(message))

    assert answer.status_code == 200, answer.text
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


def test_a_tampered_message_is_refused(events: FlaskClient, sns: SnsStandIn) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    signed = sns.sign(ses_bounce("<someone-else@provider.example>", delivery.address))
    signed["Message"] = ses_bounce(delivery.message_id, delivery.address)["Message"]

    answer = post(events, signed)

    assert answer.status_code == 403
    assert "signature does not verify" in answer.json["error"]
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/SimpleNotificationService-x.pem",
        "http://127.0.0.2:8080/cert.pem",
    ],
)
def test_a_certificate_from_another_host_is_refused_without_fetching(
    events: FlaskClient, sns: SnsStandIn, cert_url: str
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id

    answer = post(
        events, sns.sign(ses_bounce(delivery.message_id, delivery.address), cert_url=cert_url)
    )

    assert answer.status_code == 403
    assert "not on an Amazon SNS host" in answer.json["error"]
    assert sns.requests == []
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


def test_production_ignores_the_test_pattern(
    app: Flask, settings: dict[str, Any], sns: SnsStandIn
) -> None:
    production = create_app(
        {**settings, "BACKLINE_ENV": "production", "BACKLINE_SNS_URL_PATTERN": sns.pattern}
    )
    with production.app_context():
        delivery = accepted_delivery()
        assert delivery.message_id
        message = sns.sign(ses_bounce(delivery.message_id, delivery.address))
        answer = post(production.test_client(), message)
        assert answer.status_code == 403
        assert sns.requests == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", True),
        ("https://SNS.EU-WEST-1.AMAZONAWS.COM/x.pem", True),
        ("http://sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/x.pem", False),
        ("https://user@sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/https://sns.us-east-1.amazonaws.com/", False),
        ("https://sqs.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.amazonaws.com/x.pem", False),
        (None, False),
    ],
)
def test_only_amazon_sns_hosts_are_trusted_by_default(url: str | None, allowed: bool) -> None:
    assert is_sns_url(url, AWS_SNS_ORIGIN) is allowed


def test_an_unsupported_signature_version_is_refused(events: FlaskClient, sns: SnsStandIn) -> None:
    signed = sns.sign(notification({"notificationType": "Delivery", "mail": {}}))
    signed["SignatureVersion"] = "3"

    assert post(events, signed).status_code == 403


def test_a_subscription_is_confirmed_at_its_subscribe_url(
    events: FlaskClient, sns: SnsStandIn
) -> None:
    url = f"{sns.url}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=abc123"

    answer = post(events, sns.sign(confirmation(url), version="2"))

    assert answer.status_code == 200, answer.text
    assert answer.json == {"status": "confirmed"}
    assert f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=abc123" in sns.requests


def test_a_subscribe_url_off_amazon_is_not_visited(events: FlaskClient, sns: SnsStandIn) -> None:
    answer = post(events, sns.sign(confirmation("https://evil.example/confirm?Token=abc")))

    assert answer.status_code == 400
    assert "not an Amazon SNS https URL" in answer.json["error"]
    assert not any("confirm" in path.lower() for path in sns.requests)


def test_a_topic_outside_the_allow_list_is_refused(
    app: Flask, settings: dict[str, Any], sns: SnsStandIn
) -> None:
    strict = create_app(
        {
            **settings,
            "BACKLINE_SNS_URL_PATTERN": sns.pattern,
            "BACKLINE_SES_TOPIC_ARNS": "arn:aws:sns:us-east-1:123456789012:other",
        }
    )
    url = f"{sns.url}/?Action=ConfirmSubscription&Token=abc"
    with strict.app_context():
        answer = post(strict.test_client(), sns.sign(confirmation(url)))
    assert answer.status_code == 403
    assert not any("Confirm" in path for path in sns.requests)


@pytest.mark.parametrize(
    ("body", "code", "phrase"),
    [
        (b"{not json", 400, "not JSON"),
        (b"\xff\xfe\x00", 400, "not JSON"),
        (b"[1, 2]", 400, "not an SNS message"),
        (json.dumps({"Type": "Gossip"}), 400, "not an SNS message"),
        (json.dumps({"Type": "Notification", "SignatureVersion": "1"}), 403, "signing certificate"),
        (b"x" * (600 * 1024), 413, "at most"),
    ],
    ids=["broken", "binary", "array", "unknown type", "unsigned", "oversized"],
)
def test_malformed_bodies_get_a_sentence_not_a_500(
    events: FlaskClient, body: bytes | str, code: int, phrase: str
) -> None:
    answer = post(events, body)

    assert answer.status_code == code, answer.text
    assert phrase in answer.json["error"]


@pytest.mark.parametrize(
    "event",
    ["not json at all", json.dumps([1]), json.dumps({"notificationType": "Bounce", "mail": {}})],
    ids=["text", "array", "bounce without bounce"],
)
def test_a_signed_notification_that_is_not_an_ses_event_is_a_400(
    events: FlaskClient, sns: SnsStandIn, event: str
) -> None:
    answer = post(events, sns.sign(notification(event)))

    assert answer.status_code == 400, answer.text
    assert "not an SES event" in answer.json["error"]


def test_a_missing_signed_field_is_a_400(events: FlaskClient, sns: SnsStandIn) -> None:
    signed = sns.sign(notification({"notificationType": "Delivery", "mail": {}}))
    del signed["Timestamp"]

    answer = post(events, signed)

    assert answer.status_code == 400
    assert "Timestamp" in answer.json["error"]
