"""The words of a notice: the email (text and HTML, from templates) and the SMS.

Each message is rendered from the notice's fixed content, the numbers it covers, and (for a
resolve notice) their summary. Times are shown in the recipient's timezone; the outage message
in their language when the outage has a translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from jinja2 import Environment, PackageLoader, select_autoescape

from app.links import status_url, unsubscribe_url
from app.models import Channel, Notice, NoticeKind, NoticeMessage
from app.phone import display

from .notice_facts import BatchFacts, Summary
from .notice_mime import alternative, header, identify, sender
from .voicemail_email import format_duration

SUBJECTS = {
    NoticeKind.START: "Service disruption: calls to your number reach our outage line",
    NoticeKind.UPDATE: "Update on the service disruption affecting your phone line",
    NoticeKind.RESOLVE: "Resolved: your phone service is back (calls you received meanwhile)",
    NoticeKind.REPORT: "What happened: our report on the recent service disruption",
}
SMS_NUMBERS_SHOWN = 2
EMAIL_NUMBERS_SHOWN = 50

_templates = Environment(
    loader=PackageLoader("forwarding", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def compose_email(notice: Notice, message: NoticeMessage, facts: BatchFacts) -> Message:
    """One notice email to one address, with one-click unsubscribe (RFC 8058).

    Assembled by notice_mime, which costs a quarter of the CPU of EmailMessage per message.
    """
    mail_from = current_app.config["MAIL_FROM"]
    values = _values(notice, message, facts)
    email = alternative(
        _templates.get_template("notice.txt").render(values),
        _templates.get_template("notice.html").render(values),
    )
    email["Subject"] = header(SUBJECTS[NoticeKind(notice.kind)])
    email["From"] = sender(mail_from)
    email["To"] = header(message.address)
    identify(email, (notice.id, message.id), message.random_id, message.created_at, mail_from)
    email["Auto-Submitted"] = "auto-generated"
    email["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def sms_body(message: NoticeMessage, facts: BatchFacts | None = None) -> str:
    """The SMS for one backup mobile: short, with the status link for the rest."""
    from app.extensions import db

    notice = db.session.get_one(Notice, message.notice_id)
    if facts is None:
        from .notice_facts import load_facts

        wanted = notice.kind == NoticeKind.RESOLVE
        facts = load_facts(db.session(), notice.outage_id, set(message.subscriber_ids), wanted)
    values = _values(notice, message, facts)
    return _templates.get_template("notice.sms.txt").render(values).strip()


def _values(notice: Notice, message: NoticeMessage, facts: BatchFacts) -> dict[str, Any]:
    content = notice.content
    zone = _zone(message.timezone)
    numbers = [display(n) for n in facts.numbers_of(message.subscriber_ids)]
    summary = (
        facts.summary_of(message.subscriber_ids) if notice.kind == NoticeKind.RESOLVE else None
    )
    started = _moment(content.get("started_at"), zone)
    resolved = _moment(content.get("resolved_at"), zone)
    return {
        "kind": notice.kind,
        "message": _translated(content, message.language),
        "etr": _format(_moment(content.get("etr"), zone)),
        "started": _format(started),
        "resolved": _format(resolved),
        "lasted": _lasted(started, resolved),
        "report": content.get("report"),
        "numbers": numbers[:EMAIL_NUMBERS_SHOWN],
        "more_numbers": max(0, len(numbers) - EMAIL_NUMBERS_SHOWN),
        "sms_numbers": _short_list(numbers),
        "summary": _summary_lines(summary, zone) if summary else None,
        "status_url": status_url(message.subscriber_ids),
        "unsubscribe_url": unsubscribe_url(Channel.EMAIL.value, message.address),
    }


def _translated(content: dict[str, Any], language: str | None) -> str:
    translations = content.get("subscriber_messages") or {}
    return str(translations.get(language or "") or content.get("subscriber_message") or "")


def _summary_lines(summary: Summary, zone: ZoneInfo) -> dict[str, list[dict[str, str | None]]]:
    return {
        "voicemails": [
            {
                "caller": display(line.caller),
                "at": _format(line.at.astimezone(zone)),
                "length": format_duration(line.duration_ms or 0),
            }
            for line in summary.voicemails
        ],
        "missed": [
            {"caller": display(line.caller), "at": _format(line.at.astimezone(zone))}
            for line in summary.missed
        ],
    }


def _short_list(numbers: Sequence[str]) -> str:
    shown = ", ".join(numbers[:SMS_NUMBERS_SHOWN])
    more = len(numbers) - SMS_NUMBERS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _zone(name: str | None) -> ZoneInfo:
    for candidate in (name, current_app.config["BACKLINE_DEFAULT_TIMEZONE"], "UTC"):
        try:
            return ZoneInfo(candidate or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _moment(value: str | None, zone: ZoneInfo) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(zone) if value else None


def _format(moment: datetime | None) -> str | None:
    return moment.strftime("%a %d %b %Y, %H:%M %Z") if moment else None


def _lasted(started: datetime | None, resolved: datetime | None) -> str | None:
    if started is None or resolved is None:
        return None
    minutes = max(1, round((resolved - started).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
