"""Words subscribers read: their own language, the provider's name, a subscriber's default
message (never the caller's), and the same words whether a batch renders them once or each."""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.core.extensions import db
from app.models import Notice, NoticeMessage
from app.outages.lifecycle import Scope, start_outage
from app.outages.notices.facts import load_facts
from app.outages.notices.render import EmailRenderer, render
from app.outages.notices.text import compose_email
from app.outages.notices.wording import DEFAULT_MESSAGE, NOTICE_LANGUAGES, SUBJECTS
from ivr.wording import SUPPORTED_LANGUAGES
from tests.conftest import settle
from tests.support.smtp import SmtpSink

STATUS_TOKEN = re.compile(r"/status/[\w.-]+")
CALLER_WORDS = "Your message will reach us by email."


def _start(**messages: Any) -> None:
    start_outage(db.session(), actor="cli:noc", scope=Scope(), **messages)
    db.session.commit()
    assert settle()


def _text(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_notices_speak_the_languages_the_ivr_speaks() -> None:
    assert NOTICE_LANGUAGES == SUPPORTED_LANGUAGES


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "es"), ("fr", "fr"), ("en", "en"), (None, "en"), ("de", "en")],
)
def test_each_subscriber_reads_the_notice_in_their_language(
    app: Flask, subscriber: Any, smtp: SmtpSink, language: str | None, expected: str
) -> None:
    subscriber("+14155550801", ["reader@example.com"], language=language)
    _start(subscriber_message="A fibre cut.")

    [notice] = smtp.messages
    assert notice["Subject"] == SUBJECTS[expected]["start"]
    assert "A fibre cut." in _text(notice)
    html = str(notice.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert f'<html lang="{expected}">' in html


def test_a_translated_outage_message_reaches_the_readers_of_that_language(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550811", ["es@example.com"], language="es")
    subscriber("+14155550812", ["fr@example.com"], language="fr")
    _start(subscriber_message="A fibre cut.", subscriber_messages={"es": "Un corte de fibra."})

    by_reader = {str(m["To"]): _text(m) for m in smtp.messages}
    assert "Un corte de fibra." in by_reader["es@example.com"]
    assert "A fibre cut." in by_reader["fr@example.com"]
    assert "Nos techniciens" not in by_reader["fr@example.com"]


def test_notices_name_the_provider_in_subject_and_body(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550821", ["reader@example.com"])
    _start(subscriber_message="A fibre cut.")
    app.config["BACKLINE_PROVIDER_NAME"] = "Acme Voice"  # composed here, not by a worker

    notice = _parsed(_compose_first())
    assert notice["Subject"] == f"Acme Voice: {SUBJECTS['en']['start']}"
    assert "customer of Acme Voice" in _text(notice)


def _compose_first() -> Any:
    notice = db.session.scalars(select(Notice)).one()
    message = db.session.scalars(select(NoticeMessage)).first()
    assert message is not None
    facts = load_facts(db.session(), notice, set(message.subscriber_ids))
    return compose_email(notice, message, facts)


def test_without_a_subscriber_message_subscribers_read_theirs_not_the_callers(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550831", ["en@example.com"])
    subscriber("+14155550832", ["es@example.com"], language="es")
    _start(caller_message=CALLER_WORDS)

    by_reader = {str(m["To"]): _text(m) for m in smtp.messages}
    assert DEFAULT_MESSAGE["en"] in by_reader["en@example.com"]
    assert DEFAULT_MESSAGE["es"] in by_reader["es@example.com"]
    assert all(CALLER_WORDS not in text for text in by_reader.values())


def _parsed(message: Any) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _body(message: EmailMessage, part: str) -> str:
    """A body with its status link's token (which records when it was signed) left out."""
    text = message.get_body((part,)).get_content()  # type: ignore[union-attr]
    return STATUS_TOKEN.sub("/status/TOKEN", text)


def test_a_batch_rendered_once_per_variant_says_what_each_rendered_alone_says(
    app: Flask, subscriber: Any, smtp: SmtpSink
) -> None:
    subscriber("+14155550841", ["one@example.com"], timezone="Europe/Paris", language="fr")
    subscriber("+14155550842", ["two@example.com", "shared@example.com"])
    subscriber("+14155550843", ["three@example.com", "shared@example.com"])
    subscriber("+14155550844", ["four&more@example.com"])
    _start(
        subscriber_message="Engineers <on site> & working.",
        etr=datetime(2030, 1, 1, 12, tzinfo=UTC),
    )
    notice = db.session.scalars(select(Notice)).one()
    messages = db.session.scalars(select(NoticeMessage).order_by(NoticeMessage.id)).all()
    facts = load_facts(db.session(), notice, {i for m in messages for i in m.subscriber_ids})
    renderer = EmailRenderer(notice, facts)

    for message in messages:
        batched = _parsed(compose_email(notice, message, facts, renderer))
        alone = _parsed(compose_email(notice, message, facts))
        for part in ("plain", "html"):
            assert _body(batched, part) == _body(alone, part)
        assert batched["Subject"] == alone["Subject"]
        # a variant filled in says what rendering the templates whole with its values says
        _, text, html, values = renderer.parts(message)
        assert quopri.decodestring(text).decode() == render("notice.txt", values)
        assert quopri.decodestring(html).decode() == render("notice.html", values)
    shared = next(m for m in messages if m.address == "shared@example.com")
    text = _parsed(compose_email(notice, shared, facts, renderer)).get_body(("plain",))
    assert "+1 415-555-0842, +1 415-555-0843" in text.get_content()  # type: ignore[union-attr]
