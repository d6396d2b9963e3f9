"""Notice emails assembled cheaply: a hundred thousand of them go out in one mass outage.

The `email` package's modern API (EmailMessage) parses every header we set into objects and
refolds it when the message is written, and encodes quoted-printable in pure Python: about
four times the CPU of the rest of a notice. These use its compat32 classes instead, with
ASCII headers written exactly as given (they are built in final form here), bodies encoded by
binascii's C quoted-printable encoder, and a boundary that quoted-printable text cannot
contain, so the generator need not search the parts for it. The result is an ordinary
MIME message any mail backend (SMTP, SES, the Maildir outbox) takes as before.

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
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
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


def alternative(text: str, html: str) -> MIMEMultipart:
    """A multipart/alternative message of a plain-text and an HTML body."""
    message = MIMEMultipart("alternative", policy=POLICY)
    # "=_" never occurs in quoted-printable text ("=" is written "=3D"), so neither can this.
    message.set_boundary(f"=_backline_{secrets.token_hex(8)}")
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    return message


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


def _text_part(body: str, subtype: str) -> Message:
    """UTF-8, quoted-printable: readable in the raw message, safe over any relay."""
    part = MIMENonMultipart("text", subtype, policy=POLICY, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
    return part
