"""Notice emails assembled by notice_mime read back exactly, whatever their text holds."""

from __future__ import annotations

import binascii
import email
import email.policy
import io
from email.errors import HeaderParseError
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart

import pytest

from app.core.mime import POLICY, alternative, header, sender

AWKWARD = (
    "Wir bitten um Entschuldigung: Ihre Leitung ist gestört. Coût estimé = 0 €.\n"
    "From here on, lines may look like mbox separators\n"
    ".a line starting with a dot, and one with trailing spaces   \n"
    + "a very long line " * 20
    + "\n=_backline_ in the text itself\n"
)


def read_back(message: object) -> EmailMessage:
    raw = message.as_bytes()  # type: ignore[attr-defined]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_both_bodies_decode_to_what_was_written() -> None:
    html = "<p>" + AWKWARD.replace("\n", "<br>\n") + "</p>"
    parsed = read_back(alternative(AWKWARD, html))

    plain, rich = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content() == AWKWARD
    assert rich.get_content_type() == "text/html"
    assert rich.get_content() == html
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"


def test_every_line_of_the_raw_message_is_short_and_ascii() -> None:
    raw = alternative(AWKWARD, AWKWARD).as_bytes()

    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 78


def test_headers_are_written_as_given_without_folding() -> None:
    message = alternative("text", "<p>text</p>")
    link = "<https://backline.example/unsubscribe/" + "x" * 120 + ">"
    message["List-Unsubscribe"] = link
    message["Subject"] = header("Entstörung: Ihre Rufnummer ist wieder erreichbar")
    message["From"] = sender("Störungsstelle Bäckerei <noc@provider.example>")

    parsed = read_back(message)

    assert parsed["List-Unsubscribe"] == link
    assert parsed["Subject"] == "Entstörung: Ihre Rufnummer ist wieder erreichbar"
    assert parsed["From"].addresses[0].display_name == "Störungsstelle Bäckerei"
    assert parsed["From"].addresses[0].addr_spec == "noc@provider.example"
    assert parsed.get_all("MIME-Version") == ["1.0"]


def test_a_header_value_with_a_line_break_cannot_inject_a_header() -> None:
    message = alternative("text", "<p>text</p>")
    message["X-Note"] = "harmless\r\nBcc: victim@example.com"

    with pytest.raises(HeaderParseError, match="embedded header"):
        message.as_bytes()


def _as_the_mime_classes_write_it(text: str, html: str, boundary: str) -> Message:
    """The same message built with email.mime's classes (how notices were assembled before)."""
    message = MIMEMultipart("alternative", policy=POLICY)
    message.set_boundary(boundary)
    for body, subtype in ((text, "plain"), (html, "html")):
        part = MIMENonMultipart("text", subtype, policy=POLICY, charset="utf-8")
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
        message.attach(part)
    return message


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_the_written_message_is_byte_for_byte_what_the_mime_classes_write(linesep: str) -> None:
    html = "<p>" + AWKWARD + "</p>"
    written = alternative(AWKWARD, html)
    boundary = written.get_boundary()
    assert boundary is not None
    built = _as_the_mime_classes_write_it(AWKWARD, html, boundary)
    for message in (written, built):
        message["Subject"] = header("Entstörung")
        message["To"] = "a@example.com"
    policy = POLICY.clone(linesep=linesep)

    assert written.as_bytes(policy=policy) == built.as_bytes(policy=policy)
    # A backend that runs the generator itself (the Maildir outbox) writes the same bytes.
    generated, expected = io.BytesIO(), io.BytesIO()
    BytesGenerator(generated, mangle_from_=False, maxheaderlen=0).flatten(written)
    BytesGenerator(expected, mangle_from_=False, maxheaderlen=0).flatten(built)
    assert generated.getvalue() == expected.getvalue()
