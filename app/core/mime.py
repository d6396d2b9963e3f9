"""Emails assembled cheaply: their MIME bodies written out as text, not walked by a generator.

The `email` package's modern API (EmailMessage) parses every header we set into objects and
refolds it when the message is written, and its generator walks the MIME tree of every message
again, writing an attachment's base64 one 76-character line at a time: for a 60-second
voicemail's MP3 that walk costs more than composing the email. Backline's emails have two
shapes, so they are written here directly: a notice is multipart/alternative (plain text and
HTML), a voicemail is multipart/mixed of that and its MP3. Text parts are UTF-8
quoted-printable (binascii's C encoder), attachments base64 (the C encoder, in RFC 2045's
76-character lines), the parts' headers as the compat32 generator would write them, and
boundaries that neither encoding can produce.

The result is a compat32 `Message` whose payload is that text and whose own headers are written
exactly as given when ASCII (they are built in final form), so any mail backend (SMTP, SES, the
Maildir outbox) takes it as it takes any Message; `as_bytes` skips the generator altogether.
"""

from __future__ import annotations

import base64
import binascii
import functools
import secrets
from collections.abc import Mapping
from email.header import Header
from email.message import Message
from email.policy import Compat32, Policy
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


class RenderedEmail(Message):
    """An email whose headers are set as on any Message and whose MIME body is written out."""

    def __init__(self, body: str, boundary: str, subtype: str = "alternative") -> None:
        super().__init__(policy=POLICY)
        self["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
        self["MIME-Version"] = "1.0"
        self.set_payload(body)

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        """The message as the generator would write it, without walking it."""
        policy = policy or self.policy
        linesep = policy.linesep
        head = "".join(
            f"{name}: {value}{linesep}"
            if isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            else policy.fold_binary(name, value).decode("ascii", "surrogateescape")
            for name, value in self.raw_items()
        )
        body = str(self.get_payload())
        if linesep != "\n":
            body = body.replace("\n", linesep)
        return f"{head}{linesep}{body}".encode("ascii", "surrogateescape")

    def __bytes__(self) -> bytes:
        return self.as_bytes()


def alternative(text: str, html: str) -> RenderedEmail:
    """A multipart/alternative email of a plain-text and an HTML body."""
    return encoded_alternative(quoted_printable(text), quoted_printable(html))


def encoded_alternative(text: str, html: str) -> RenderedEmail:
    """`alternative` of bodies already quoted-printable (see BodyTemplate)."""
    boundary = _boundary()
    return RenderedEmail(_bodies(boundary, text, html), boundary)


class BodyTemplate:
    """A text body with a few personal values still to fill in, encoded once for all its readers
    except on the lines that hold a personal value.

    Quoted-printable encodes each line on its own, so encoding only the filled-in lines gives
    the bytes that encoding the whole filled-in body would: a notice to thousands of readers
    encodes its fixed lines once (encoding was a tenth of composing each message).
    """

    def __init__(self, text: str, markers: Mapping[str, str]) -> None:
        """`markers` maps each value's name to the text that stands for it in `text`."""
        self._markers = markers
        self._parts: list[tuple[bool, str]] = []  # (holds a value, the line or encoded lines)
        fixed: list[str] = []
        for line in _lines(text):
            if any(marker in line for marker in markers.values()):
                self._add_fixed(fixed)
                self._parts.append((True, line))
            else:
                fixed.append(line)
        self._add_fixed(fixed)

    def fill(self, values: Mapping[str, str]) -> str:
        """The body with these values in place, quoted-printable."""
        filled = []
        for personal, part in self._parts:
            if personal:
                for name, marker in self._markers.items():
                    part = part.replace(marker, values[name])
                part = quoted_printable(part)
            filled.append(part)
        return "".join(filled)

    def _add_fixed(self, lines: list[str]) -> None:
        if lines:
            self._parts.append((False, quoted_printable("".join(lines))))
            lines.clear()


def _lines(text: str) -> list[str]:
    """The lines of `text`, each with its "\\n" (only "\\n" ends a line for the encoder)."""
    lines = [f"{line}\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return [line for line in lines if line]


def quoted_printable(body: str) -> str:
    """UTF-8, quoted-printable: readable in the raw message, safe over any relay."""
    return binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii")


def with_attachment(
    text: str, html: str, data: bytes, content_type: str, filename: str
) -> RenderedEmail:
    """A multipart/mixed email: the plain-text and HTML bodies, then one attached file.

    `filename` must be ASCII without quotes (Backline names its files itself).
    """
    inner, outer = _boundary(), _boundary()
    parts = [
        f'Content-Type: multipart/alternative; boundary="{inner}"\nMIME-Version: 1.0\n\n'
        + _bodies(inner, quoted_printable(text), quoted_printable(html)),
        _attachment_part(data, content_type, filename),
    ]
    return RenderedEmail(_multipart(outer, parts), outer, subtype="mixed")


def header(value: str) -> str:
    """ASCII header values as they are; anything else as RFC 2047 encoded words."""
    return value if value.isascii() else Header(value, "utf-8").encode()


@functools.cache
def sender(mail_from: str) -> str:
    """MAIL_FROM as a From header: a non-ASCII display name encoded, the address left alone."""
    return formataddr(parseaddr(mail_from), charset="utf-8")


def _boundary() -> str:
    # "=_" never occurs in quoted-printable ("=" is written "=3D") nor in base64.
    return f"=_backline_{secrets.token_hex(8)}"


def _bodies(boundary: str, text: str, html: str) -> str:
    """The plain-text and HTML parts (quoted-printable) of a multipart/alternative body."""
    return _multipart(boundary, [_text_part(text, "plain"), _text_part(html, "html")])


def _multipart(boundary: str, parts: list[str]) -> str:
    return "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"


def _text_part(encoded: str, subtype: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\nMIME-Version: 1.0\n'
        f"Content-Transfer-Encoding: quoted-printable\n\n{encoded}"
    )


def _attachment_part(data: bytes, content_type: str, filename: str) -> str:
    if not filename.isascii() or '"' in filename or _breaks_line(filename):
        raise ValueError(f"attachment names are plain ASCII, not {filename!r}")
    encoded = base64.encodebytes(data).decode("ascii")  # 76-character lines, as RFC 2045 asks
    return (
        f"Content-Type: {content_type}\nMIME-Version: 1.0\n"
        f'Content-Disposition: attachment; filename="{filename}"\n'
        f"Content-Transfer-Encoding: base64\n\n{encoded}"
    )
