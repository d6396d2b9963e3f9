"""Emails written out by app.core.mime read back as the `email` package would have written them."""

from __future__ import annotations

import email
import email.policy
import os

import pytest

from app.core.mime import (
    POLICY,
    BodyTemplate,
    alternative,
    header,
    quoted_printable,
    with_attachment,
)


def _received(data: bytes) -> email.message.EmailMessage:
    written = with_attachment("Hello ünïcode", "<p>Hello</p>", data, "audio/mpeg", "a.mp3")
    written["Subject"] = header("Voicemail from Zoë")
    raw = written.as_bytes(policy=POLICY.clone(linesep="\r\n"))
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))  # RFC 5322's limit, with room
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize("size", [0, 1, 57, 58, 700_000])
def test_an_attachment_of_any_size_comes_back_byte_for_byte(size: int) -> None:
    data = os.urandom(size)
    message = _received(data)
    assert message.get_content_type() == "multipart/mixed"
    [attached] = message.iter_attachments()
    assert attached.get_content() == data
    assert attached.get_filename() == "a.mp3"
    assert message.get_body(("plain",)).get_content().strip() == "Hello ünïcode"  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"  # type: ignore[union-attr]
    assert message["Subject"] == "Voicemail from Zoë"


def test_a_name_that_would_need_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="plain ASCII"):
        with_attachment("t", "h", b"x", "audio/mpeg", 'a"b.mp3')


def test_alternative_has_no_attachment() -> None:
    message = email.message_from_bytes(
        alternative("t", "h").as_bytes(), policy=email.policy.default
    )
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []  # type: ignore[attr-defined]


MARKERS = {"link": "\x00link\x00", "who": "\x00who\x00"}
LONG_LINK = "https://backline.example.net/status/" + "x" * 150
TEMPLATES = [
    "Hello \x00who\x00,\nfollow \x00link\x00\nBye.\n",
    "\x00link\x00",  # a value alone, no final line end
    "first\n\x00who\x00 and \x00link\x00 on one line, past the 76 characters of a line\n\n",
    "ünïcode café \x00who\x00\n.\ntrailing space \nand tab\t\n\x00who\x00\n\x00link\x00\n",
    "no value here at all\nat all \n",
    "=equals= and \x00who\x00=\n" + "y" * 200 + "\n",
]


@pytest.mark.parametrize("text", TEMPLATES)
@pytest.mark.parametrize("who", ["Zoë", "+1 415-555-0100", "", "a " * 60, "."])
def test_a_filled_template_is_the_whole_body_encoded(text: str, who: str) -> None:
    values = {"link": LONG_LINK, "who": who}
    filled = text.replace(MARKERS["link"], LONG_LINK).replace(MARKERS["who"], who)

    assert BodyTemplate(text, MARKERS).fill(values) == quoted_printable(filled)


def test_a_template_fills_anew_for_each_reader() -> None:
    template = BodyTemplate(TEMPLATES[0], MARKERS)

    first = template.fill({"link": "https://a.example/1", "who": "Ann"})
    second = template.fill({"link": "https://a.example/2", "who": "Bo"})

    assert "Ann" in first and "a.example/1" in first
    assert "Bo" in second and "Ann" not in second
