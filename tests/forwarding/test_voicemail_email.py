"""What a voicemail email says: caller, name, local time, transcript, outage note, link, MP3."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Delivery, Outage, Subscriber, Voicemail
from forwarding.voicemail_email import VoicemailContext, compose

MP3 = b"ID3" + b"\x00" * 2000


def _email(
    subscriber: Subscriber | None = None,
    outage: Outage | None = None,
    mp3: bytes = MP3,
    limit: int = 10_000,
    message_id: str | None = None,
    **voicemail: Any,
) -> Any:
    row = Voicemail(
        id=voicemail.pop("id", 7),
        recording_sid="RE" + "a" * 32,
        account_sid="AC" + "b" * 32,
        call_sid="CA" + "c" * 32,
        duration_ms=42_400,
        **{
            "caller_number": "+12125550142",
            "recorded_at": datetime(2026, 11, 22, 19, 5, tzinfo=UTC),
            **voicemail,
        },
    )
    delivery = Delivery(id=3, address="office@acme.example", voicemail=row, message_id=message_id)
    context = VoicemailContext(
        row,
        subscriber,
        outage,
        mp3,
        "UTC",
        "https://backline.example.test/voicemail/listen/TOKEN",
        30,
        limit,
    )
    written = compose(delivery, context, "Backline <voicemail@provider.example>")
    return email.message_from_bytes(written.as_bytes(), policy=email.policy.default)  # as received


def _text(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def _html(message: Any) -> str:
    return str(message.get_body(("html",)).get_content())


def test_the_email_says_who_called_when_and_for_how_long() -> None:
    subscriber = Subscriber(
        number="+14155550100", name="Acme", emails=[], timezone="America/New_York"
    )
    message = _email(subscriber, caller_name="RIVERA J")
    assert message["Subject"] == "Voicemail from +1 212-555-0142 (0:42)"
    assert re.fullmatch(
        rf"<voicemail\.RE{'a' * 32}\.3\.[0-9a-f]{{24}}@provider\.example>", message["Message-ID"]
    )
    assert message["Date"] == "Sun, 22 Nov 2026 19:05:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None  # never on voicemail emails
    text = _text(message)
    assert "New voicemail for Acme." in text
    assert "+1 212-555-0142 (RIVERA J)" in text
    assert "Sunday 22 November 2026, 14:05 EST" in text
    assert "https://backline.example.test/voicemail/listen/TOKEN" in text


def test_the_transcript_and_the_outage_note_in_the_subscribers_language() -> None:
    subscriber = Subscriber(number="+14155550100", emails=[], language="es")
    outage = Outage(
        subscriber_message="We are down.", subscriber_messages={"es": "Estamos caídos."}
    )
    message = _email(subscriber, outage, transcription_text="Call me back about the invoice.")
    text = _text(message)
    assert '"Call me back about the invoice."' in text
    assert "Estamos caídos." in text and "We are down." not in text


def test_the_mp3_is_attached_below_the_cap_and_linked_only_above_it() -> None:
    small = _email(limit=len(MP3))
    [attached] = small.iter_attachments()
    assert attached.get_content_type() == "audio/mpeg"
    assert attached.get_content() == MP3  # the very bytes, through base64 and back
    assert attached.get_filename() == "voicemail-20261122-190500-0142-7.mp3"
    large = _email(limit=len(MP3) - 1)
    assert list(large.iter_attachments()) == []
    assert "too large to attach" in _text(large)
    assert "https://backline.example.test/voicemail/listen/TOKEN" in _html(large)


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "Tom & Jerry"])
def test_the_html_part_escapes_what_callers_and_subscribers_control(name: str) -> None:
    subscriber = Subscriber(number="+14155550100", name=name, emails=[])
    html = _html(_email(subscriber, caller_name=name))
    assert name not in html
    assert "&lt;script&gt;" in html or "Tom &amp; Jerry" in html


def test_a_withheld_caller_and_an_unknown_number() -> None:
    message = _email(caller_number="anonymous")
    assert message["Subject"].startswith("Voicemail from Withheld")
    assert "New voicemail for an unknown number." in _text(message)


def test_every_message_id_is_new_unless_the_delivery_was_sent_with_one_already() -> None:
    """Two installations (staging and production, a restored backup) reuse row ids and may
    deliver the same recording: the random part keeps their Message-IDs apart."""
    first, second = _email()["Message-ID"], _email()["Message-ID"]
    assert first != second
    assert _email(message_id=first)["Message-ID"] == first  # a resend of the same message


def test_attachments_of_voicemails_from_one_caller_in_one_minute_have_different_names() -> None:
    at = datetime(2026, 11, 22, 19, 5, 10, tzinfo=UTC)
    names = {
        _attachment_name(_email(id=n, recorded_at=at + timedelta(seconds=n % 2)))
        for n in range(1, 5)
    }
    assert len(names) == 4
    assert all(name.startswith("voicemail-20261122-1905") for name in names)
    assert all(name.endswith(".mp3") and "0142" in name for name in names)


def _attachment_name(message: Any) -> str:
    [attachment] = message.iter_attachments()
    return str(attachment.get_filename())
