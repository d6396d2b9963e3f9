"""Notice emails assembled by notice_mime read back exactly, whatever their text holds."""

from __future__ import annotations

import email
import email.policy
from email.errors import HeaderParseError
from email.message import EmailMessage

import pytest

from app.outages.notices.mime import alternative, header, sender

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
