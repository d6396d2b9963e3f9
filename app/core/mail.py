"""What every mail backend offers (Maildir, SMTP, SES), and the errors they raise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Protocol, runtime_checkable


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


@runtime_checkable
class SendsInTurn(Protocol):
    def send_all(self, items: Iterable[tuple[Message, Envelope]]) -> Iterator[MailError | None]:
        """Send each message in turn; yield None for each it took, else its MailError."""
        ...


def send_all(
    mailer: Mailer, items: Iterable[tuple[Message, Envelope]]
) -> Iterator[MailError | None]:
    """Send each message through `mailer`; yield what became of each, in order: None when the
    backend took it, else the MailError its `send` raised. A backend that sends many better
    than one at a time (SMTP pipelines them) does it its own way."""
    if isinstance(mailer, SendsInTurn):
        yield from mailer.send_all(items)
        return
    for message, envelope in items:
        try:
            mailer.send(message, envelope)
        except MailError as exc:
            yield exc
        else:
            yield None
