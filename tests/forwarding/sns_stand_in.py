"""A local Amazon SNS stand-in that signs with a real certificate it serves, and SES messages."""

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
from app.core.extensions import db
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from tests.conftest import ACCOUNT_SID
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
