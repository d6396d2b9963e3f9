"""Notice emails assembled cheaply: a hundred thousand of them go out in one mass outage.

The `email` package's modern API (EmailMessage) parses every header we set into objects and
refolds it when the message is written, and encodes quoted-printable in pure Python: about
four times the CPU of the rest of a notice. These use its compat32 classes instead, with
ASCII headers written exactly as given (they are built in final form here), bodies encoded by
binascii's C quoted-printable encoder, and a boundary that quoted-printable text cannot
contain, so the generator need not search the parts for it. The result is an ordinary
MIME message any mail backend (SMTP, SES, the Maildir outbox) takes as before.
"""

from __future__ import annotations

import binascii
import functools
import secrets
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import formataddr, parseaddr


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


def _text_part(body: str, subtype: str) -> Message:
    """UTF-8, quoted-printable: readable in the raw message, safe over any relay."""
    part = MIMENonMultipart("text", subtype, policy=POLICY, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
    return part
