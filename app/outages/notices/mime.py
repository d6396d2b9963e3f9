"""Notice emails assembled cheaply: a hundred thousand of them go out in one mass outage.

The `email` package's modern API (EmailMessage) parses every header we set into objects and
refolds it when the message is written, and its generator walks the MIME tree of every message
again: together several times the CPU of the rest of a notice. A notice email is always the
same shape (multipart/alternative of a UTF-8 plain-text and an HTML part, quoted-printable), so
its body is written here directly as text: the parts' headers as the compat32 generator would
write them, bodies encoded by binascii's C quoted-printable encoder, and a boundary that
quoted-printable text cannot contain. The message is a compat32 `Message` whose payload is
that text (the generator writes such a payload as it is) and whose own headers are written
exactly as given when ASCII (they are built in final form here), so any mail backend (SMTP,
SES, the Maildir outbox) takes it as before; `as_bytes` skips the generator altogether.

The identifying headers follow RFC 5322 as written today: a numeric Date zone (`+0000`, never
the obsolete `GMT`), a Message-ID no other installation can produce (a random part stored with
the message, so a resend keeps it), and a List-Id (RFC 2919) that mail filters can key on.
"""

from __future__ import annotations

import binascii
import functools
import secrets
from datetime import UTC, datetime
from email.header import Header
from email.message import Message
from email.policy import Compat32, Policy
from email.utils import format_datetime, formataddr, parseaddr


class _AsWritten(Compat32):
    """compat32, except that one-line ASCII header values are written as they are."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if isinstance(value, str) and value.isascii() and not _breaks_line(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)  # type: ignore[no-any-return]

    def fold(self, name: str, value: str) -> str:
        if isinstance(value, str) and value.isascii() and not _breaks_line(value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)  # type: ignore[no-any-return]


POLICY = _AsWritten(max_line_length=None)


def _breaks_line(value: str) -> bool:
    return "\n" in value or "\r" in value


class RenderedEmail(Message):
    """A notice email: headers set as on any Message, the MIME body already written out."""

    def __init__(self, body: str, boundary: str) -> None:
        super().__init__(policy=POLICY)
        self["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        self["MIME-Version"] = "1.0"
        self.set_payload(body)

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        """The message as the generator would write it, without walking it."""
        policy = policy or self.policy
        head = b"".join(policy.fold_binary(name, value) for name, value in self.raw_items())
        body = str(self.get_payload()).encode("ascii")
        if policy.linesep != "\n":
            body = body.replace(b"\n", policy.linesep.encode("ascii"))
        return head + policy.linesep.encode("ascii") + body

    def __bytes__(self) -> bytes:
        return self.as_bytes()


def alternative(text: str, html: str) -> RenderedEmail:
    """A multipart/alternative message of a plain-text and an HTML body."""
    # "=_" never occurs in quoted-printable text ("=" is written "=3D"), so neither can this.
    boundary = f"=_backline_{secrets.token_hex(8)}"
    body = (
        f"--{boundary}\n{_text_part(text, 'plain')}\n"
        f"--{boundary}\n{_text_part(html, 'html')}\n"
        f"--{boundary}--\n"
    )
    return RenderedEmail(body, boundary)


def header(value: str) -> str:
    """ASCII header values as they are; anything else as RFC 2047 encoded words."""
    return value if value.isascii() else Header(value, "utf-8").encode()


@functools.cache
def sender(mail_from: str) -> str:
    """MAIL_FROM as a From header: a non-ASCII display name encoded, the address left alone."""
    return formataddr(parseaddr(mail_from), charset="utf-8")


def identify(
    email: Message, ids: tuple[int, int], random_id: str | None, made: datetime, mail_from: str
) -> None:
    """Set Date (now), Message-ID and List-Id on the notice email of message `ids`.

    `ids` are the notice's and the message's row ids; `random_id` is the message's stored random
    part. A row made before it was stored has none: its creation time, to the microsecond,
    stands in for it (stored too, so a resend still keeps the ID).
    """
    domain = _domain(mail_from)
    unique = random_id or made.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = f"<notice.{ids[0]}.{ids[1]}.{unique}@{domain}>"
    email["List-Id"] = f"Outage notices <outage-notices.{domain}>"


@functools.cache
def _domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "backline.invalid"


def _text_part(body: str, subtype: str) -> str:
    """UTF-8, quoted-printable: readable in the raw message, safe over any relay."""
    encoded = binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\nMIME-Version: 1.0\n'
        f"Content-Transfer-Encoding: quoted-printable\n\n{encoded}"
    )
