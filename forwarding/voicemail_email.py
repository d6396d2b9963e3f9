"""The voicemail email: who called, when (in the subscriber's zone), how long, the MP3.

Text and HTML come from `templates/voicemail.txt` and `.html`; the MP3 is attached below
BACKLINE_ATTACHMENT_MAX_BYTES, and a signed listen link is always there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.utils import format_datetime, parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, select_autoescape

from app.core.mime import alternative, header, sender, with_attachment
from app.core.phone import display, last_four
from app.models import Delivery, Outage, Subscriber, Voicemail


@dataclass(frozen=True)
class VoicemailContext:
    voicemail: Voicemail
    subscriber: Subscriber | None
    outage: Outage | None
    mp3: bytes
    default_timezone: str
    listen_url: str
    link_days: int
    attachment_max_bytes: int


_templates = Environment(
    loader=PackageLoader("forwarding", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def message_id(delivery: Delivery, mail_from: str) -> str:
    """The delivery's Message-ID: the one it was first sent with, else a new one.

    Stored before the first attempt (attempts.py), so every attempt and a resend inside the
    duplicate window carry the same ID; the random part keeps any other installation (staging,
    a restored backup) from sending another message under it. The RecordingSid in it lets the
    retention purge find copies in the outbox.
    """
    if delivery.message_id:
        return delivery.message_id
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "backline.invalid"
    unique = secrets.token_hex(12)
    return f"<voicemail.{delivery.voicemail.recording_sid}.{delivery.id}.{unique}@{domain}>"


def compose(delivery: Delivery, context: VoicemailContext, mail_from: str) -> Message:
    """Build the email for one delivery: text and HTML, and the MP3 attached when it fits.

    Written out by app.core.mime: walking a 0.7 MB attachment through the `email` generator
    cost more than the rest of the email job.
    """
    facts = _facts(context)
    text = _templates.get_template("voicemail.txt").render(facts)
    html = _templates.get_template("voicemail.html").render(facts)
    if facts["attached"]:
        message = with_attachment(text, html, context.mp3, "audio/mpeg", _filename(context, facts))
    else:
        message = alternative(text, html)
    message["Subject"] = header(f"Voicemail from {facts['caller']} ({facts['duration']})")
    message["From"] = sender(mail_from)
    message["To"] = header(delivery.address)
    message["Date"] = format_datetime(context.voicemail.recorded_at)
    message["Message-ID"] = message_id(delivery, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    return message


def _facts(context: VoicemailContext) -> dict[str, Any]:
    voicemail, subscriber = context.voicemail, context.subscriber
    local = _local_time(voicemail.recorded_at, subscriber, context.default_timezone)
    called = (subscriber.name or display(subscriber.number)) if subscriber else "an unknown number"
    return {
        "caller": display(voicemail.caller_number),
        "caller_name": voicemail.caller_name,
        "called": called,
        "when": local.strftime("%A %d %B %Y, %H:%M %Z"),
        "duration": format_duration(voicemail.duration_ms or 0),
        "outage": _outage_note(context.outage, subscriber),
        "transcript": voicemail.transcription_text,
        "listen_url": context.listen_url,
        "link_days": context.link_days,
        "attached": len(context.mp3) <= context.attachment_max_bytes,
        "stamp": local.strftime("%Y%m%d-%H%M%S"),
    }


def _outage_note(outage: Outage | None, subscriber: Subscriber | None) -> str:
    """The outage's subscriber message, in the subscriber's language when there is one."""
    if outage is None:
        return ""
    language = subscriber.language if subscriber else None
    translated = (outage.subscriber_messages or {}).get(language or "")
    return translated or outage.subscriber_message or ""


def format_duration(milliseconds: int) -> str:
    """Minutes and seconds, rounded to the nearest second: 0:42, 3:00."""
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _local_time(moment: datetime, subscriber: Subscriber | None, default: str) -> datetime:
    name = (subscriber.timezone if subscriber else None) or default
    try:
        return moment.astimezone(ZoneInfo(name))
    except ZoneInfoNotFoundError:
        return moment.astimezone(ZoneInfo("UTC"))


def _filename(context: VoicemailContext, facts: dict[str, Any]) -> str:
    """Time to the second, the caller's last digits, and the voicemail's id: never the same
    for two voicemails, however many arrive in one minute from one number."""
    caller = last_four(context.voicemail.caller_number) or "withheld"
    return f"voicemail-{facts['stamp']}-{caller.lstrip('…')}-{context.voicemail.id}.mp3"
