"""Emails written out by app.core.mime read back as the `email` package would have written them."""

from __future__ import annotations

import email
import email.policy
import os

import pytest

from app.core.mime import POLICY, alternative, header, with_attachment


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
