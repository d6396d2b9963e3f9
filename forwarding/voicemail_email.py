"""The voicemail email: who called, when (in the subscriber's zone), how long, the MP3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.models import Delivery, Outage, Subscriber, Voicemail
from app.phone import display, last_four


@dataclass(frozen=True)
class VoicemailContext:
    voicemail: Voicemail
    subscriber: Subscriber | None
    outage: Outage | None
    mp3: bytes
    default_timezone: str


def message_id(delivery: Delivery, mail_from: str) -> str:
    """A Message-ID fixed by the delivery, so a resend inside the duplicate window is recognisable."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "backline.invalid"
    return f"<voicemail.{delivery.voicemail.recording_sid}.{delivery.id}@{domain}>"


def compose(delivery: Delivery, context: VoicemailContext, mail_from: str) -> EmailMessage:
    """Build the multipart email for one delivery, the MP3 attached."""
    facts = _facts(context)
    message = EmailMessage()
    message["Subject"] = f"Voicemail from {facts['caller']} ({facts['duration']})"
    message["From"] = mail_from
    message["To"] = Address(addr_spec=delivery.address)
    message["Date"] = format_datetime(context.voicemail.recorded_at)
    message["Message-ID"] = message_id(delivery, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_text(facts))
    message.add_alternative(_html(facts), subtype="html")
    message.add_attachment(
        context.mp3, maintype="audio", subtype="mpeg", filename=_filename(context, facts)
    )
    return message


def _facts(context: VoicemailContext) -> dict[str, str]:
    voicemail, subscriber = context.voicemail, context.subscriber
    local = _local_time(voicemail.recorded_at, subscriber, context.default_timezone)
    called = (subscriber.name or display(subscriber.number)) if subscriber else "an unknown number"
    outage_note = ""
    if context.outage and context.outage.subscriber_message:
        outage_note = context.outage.subscriber_message
    return {
        "caller": display(voicemail.caller_number),
        "called": called,
        "when": local.strftime("%A %d %B %Y, %H:%M %Z"),
        "duration": format_duration(voicemail.duration_ms or 0),
        "outage": outage_note,
        "stamp": local.strftime("%Y%m%d-%H%M"),
    }


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


def _filename(context: VoicemailContext, facts: dict[str, str]) -> str:
    caller = last_four(context.voicemail.caller_number) or "withheld"
    return f"voicemail-{facts['stamp']}-{caller.lstrip('…')}.mp3"


def _text(facts: dict[str, str]) -> str:
    lines = [
        f"New voicemail for {facts['called']}.",
        "",
        f"From:    {facts['caller']}",
        f"When:    {facts['when']}",
        f"Length:  {facts['duration']}",
    ]
    if facts["outage"]:
        lines += ["", "About the service problem:", facts["outage"]]
    lines += ["", "The recording is attached as an MP3 file."]
    return "\n".join(lines) + "\n"


def _html(facts: dict[str, str]) -> str:
    from markupsafe import escape

    outage = (
        f"<p><strong>About the service problem:</strong> {escape(facts['outage'])}</p>"
        if facts["outage"]
        else ""
    )
    return (
        "<!doctype html><html><body>"
        f"<p>New voicemail for {escape(facts['called'])}.</p>"
        "<table>"
        f"<tr><th align='left'>From</th><td>{escape(facts['caller'])}</td></tr>"
        f"<tr><th align='left'>When</th><td>{escape(facts['when'])}</td></tr>"
        f"<tr><th align='left'>Length</th><td>{escape(facts['duration'])}</td></tr>"
        "</table>"
        f"{outage}<p>The recording is attached as an MP3 file.</p>"
        "</body></html>"
    )
