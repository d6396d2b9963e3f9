"""Amazon SES as a mail backend (`MAIL_FALLBACK_URL=ses://REGION`), through boto3.

The message goes out as SendRawEmail with the very bytes SMTP would have sent, so its
Message-ID, headers and attachment are the same whichever provider carried it. (SES replaces the
Message-ID header the recipient sees with its own, but reports ours back in bounce notifications,
which is what `/forwarding/ses-events` matches on.) boto3 honours AWS_ENDPOINT_URL and the usual
credential chain.
"""

from __future__ import annotations

import threading
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Any

from app.core.aws import quick_client
from app.core.mail import Envelope, MailError, PermanentMailError

# Refusals of this message or recipient: sending it again, through SES, will not help.
PERMANENT_ERRORS = {"MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerified"}


class SesMailer:
    """Sends through Amazon SES in one region; the client is created on first use."""

    name = "ses"

    def __init__(self, region: str) -> None:
        if not region:
            raise ValueError("MAIL_FALLBACK_URL=ses://REGION needs a region, like ses://eu-west-1")
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()

    def send(self, message: Message, envelope: Envelope | None = None) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        try:
            response = self.client().send_raw_email(
                Source=envelope.sender if envelope else parseaddr(str(message["From"]))[1],
                Destinations=envelope.recipients if envelope else _recipients(message),
                RawMessage={"Data": raw},
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        except BotoCoreError as exc:  # no connection, timeouts, missing credentials
            raise MailError(f"SES {self.region}: {exc}") from exc
        return f"accepted by SES {self.region} as {response.get('MessageId', '?')}"

    def client(self) -> Any:
        """The boto3 SES client (thread-safe once created), with short timeouts."""
        with self._lock:
            if self._client is None:
                self._client = quick_client("ses", self.region)
            return self._client


def _recipients(message: Message) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _name, address in getaddresses(fields) if address]


def _translate(exc: Any) -> MailError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    text = f"SES {status} {code}: {error.get('Message', '')}".strip()
    if code in PERMANENT_ERRORS:
        return PermanentMailError(text)
    return MailError(text)  # throttling, 5xx, credentials or configuration: worth retrying
