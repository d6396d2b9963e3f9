"""Real AWS endpoints for the tests: moto's server on 127.0.0.1 (S3, SES and SNS)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from tests.helpers import free_port, parse_email


@contextlib.contextmanager
def dummy_aws_credentials(region: str) -> Iterator[None]:
    """Dummy credentials in the environment for the block; the real ones (if any) come back."""
    dummy = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
    }
    names = (*dummy, "AWS_SESSION_TOKEN", "AWS_PROFILE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dummy)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class MotoServer:
    """moto's server on a free port of 127.0.0.1; `stop()` refuses connections as a dead AWS does."""

    region = "us-east-1"
    service = ""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.running = False

    def start(self) -> None:
        if not self.running:
            self._server.start()
            self.running = True

    def stop(self) -> None:
        if self.running:
            self._server.stop()
            self._server._server.server_close()  # shutdown() alone leaves the socket listening
            self.running = False

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Unreachable inside the block, and running again after it whatever happened."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def client(self) -> Any:
        import boto3

        return boto3.client(self.service, endpoint_url=self.url, region_name=self.region)


class S3Server(MotoServer):
    """S3 with one versioned bucket. moto keeps its state in this process, so objects survive a
    stop and start; `client()` checks what really landed in the bucket."""

    service = "s3"
    bucket = "backline-test-voicemail"

    def create_versioned_bucket(self) -> None:
        client = self.client()
        client.create_bucket(Bucket=self.bucket)
        client.put_bucket_versioning(
            Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
        )


class SesServer(MotoServer):
    """SES: `verify()` a sender, read back `sent()` messages."""

    service = "ses"

    def verify(self, identity: str) -> None:
        """Verify a sender address or domain, as SES requires before it sends from it."""
        if "@" in identity:
            self.client().verify_email_identity(EmailAddress=identity)
        else:
            self.client().verify_domain_identity(Domain=identity)

    def sent(self, containing: str = "") -> list[EmailMessage]:
        """Every raw message SES accepted (moto keeps them process-wide), filtered by a substring
        of the raw text, such as a Message-ID unique to the test."""
        import requests

        data = requests.get(f"{self.url}/moto-api/data.json", timeout=10).json()
        raws = [m["raw_data"] for m in data.get("ses", {}).get("RawMessage", [])]
        return [parse_email(raw.encode()) for raw in raws if containing in raw]


class SnsServer(MotoServer):
    """SNS, for SMS: read back what it `sent()`. moto answers that every number ending in 99 has
    opted out (`check_if_phone_number_is_opted_out`), and lists eight UK numbers as opted out."""

    service = "sns"

    def sent(self, message_id: str | None = None, to: str | None = None) -> list[dict[str, str]]:
        """SMS SNS accepted (moto keeps them process-wide), by MessageId or phone number."""
        import requests

        data = requests.get(f"{self.url}/moto-api/data.json", timeout=10).json()
        return [
            sms
            for sms in data.get("sns", {}).get("SMS", [])
            if message_id in (None, sms["message_id"]) and to in (None, sms["phone_number"])
        ]
