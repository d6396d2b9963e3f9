"""The words of a notice: the email (text and HTML, from templates) and the SMS.

Each message is rendered from the notice's fixed content, the numbers it covers, and (for a
resolve notice) their summary, with what is true for each number when it is sent: see
notice_values. A message left with nothing true to say is not rendered at all (None).
"""

from __future__ import annotations

from email.message import Message
from typing import Any

from flask import current_app
from jinja2 import Environment, PackageLoader, select_autoescape

from app.core.extensions import db
from app.models import Notice, NoticeKind, NoticeMessage
from app.outages.notices.facts import BatchFacts, load_facts
from app.outages.notices.mime import alternative, header, identify, sender
from app.outages.notices.values import values_for

SUBJECTS = {
    NoticeKind.START: "Service disruption: calls to your number reach our outage line",
    NoticeKind.UPDATE: "Update on the service disruption affecting your phone line",
    NoticeKind.RESOLVE: "Resolved: your phone service is back (calls you received meanwhile)",
    NoticeKind.REPORT: "What happened: our report on the recent service disruption",
}
# A resolve notice to numbers some other outage still covers: it must not say service is back.
PARTLY_RESOLVED = "Update: one disruption is over; another still affects your phone line"
# A preview (`outage start --dry-run`) signs no link for anyone: these stand in for them.
PREVIEW_LINKS = {
    "status_url": "[their private status page link]",
    "unsubscribe_url": "[their unsubscribe link]",
}

_templates = Environment(
    loader=PackageLoader("app.outages.notices", "templates"),
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
    values = values_for(notice, message, facts)
    email = alternative(
        _templates.get_template("notice.txt").render(values),
        _templates.get_template("notice.html").render(values),
    )
    email["Subject"] = header(subject(values))
    email["From"] = sender(mail_from)
    email["To"] = header(message.address)
    identify(email, (notice.id, message.id), message.random_id, message.created_at, mail_from)
    email["Auto-Submitted"] = "auto-generated"
    email["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def preview_email(notice: Notice, message: NoticeMessage, facts: BatchFacts) -> tuple[str, str]:
    """The subject and plain text of one notice email, its personal links left as placeholders."""
    values = {**values_for(notice, message, facts), **PREVIEW_LINKS}
    return subject(values), _templates.get_template("notice.txt").render(values)


def sms_body(message: NoticeMessage, facts: BatchFacts | None = None) -> str | None:
    """The SMS for one backup mobile: short, with the status link for the rest.

    None when nothing true is left to say to it (every number it covered is now told by
    another notice): the message is then withdrawn, not sent.
    """

    notice = db.session.get_one(Notice, message.notice_id)
    if facts is None:
        facts = load_facts(db.session(), notice, set(message.subscriber_ids))
    if not facts.audience(notice.kind, message.subscriber_ids):
        return None
    values = values_for(notice, message, facts)
    return _templates.get_template("notice.sms.txt").render(values).strip()


def subject(values: dict[str, Any]) -> str:
    """The subject: a resolve notice says service is back only if it is, for every number."""
    kind = NoticeKind(values["kind"])
    if kind == NoticeKind.RESOLVE and not values["all_back"]:
        return PARTLY_RESOLVED
    return SUBJECTS[kind]
