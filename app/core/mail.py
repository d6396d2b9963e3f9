"""What every mail backend offers (Maildir, SMTP, SES), and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Protocol


class MailError(RuntimeError):
    """The mail backend did not accept a message; worth retrying."""


class PermanentMailError(MailError):
    """The relay refused the recipient for good (5xx): retrying will not help."""


@dataclass(frozen=True)
class Envelope:
    """Who a message is from and to, when the sender already knows (no header parsing)."""

    sender: str
    recipients: list[str]


class Mailer(Protocol):
    name: str

    def send(self, message: Message, envelope: Envelope | None = None) -> str:
        """Hand the message over; return the backend's answer (kept on the delivery).

        Without an envelope, the sender and recipients are read from the headers.
        """
        ...
