"""The words of a notice: the email (text and HTML, from templates) and the SMS.

Each message is rendered from the notice's fixed content, the numbers it covers, and (for a
resolve notice) their summary, with what is true for each number when it is sent: see
app.outages.notices.values. Emails of a batch are rendered once per variant (render.py). A
message left with nothing true to say is not rendered at all (None). Everything is written in
the reader's language (app.outages.notices.wording).
"""

from __future__ import annotations

from email.message import Message

from flask import current_app

from app.core.extensions import db
from app.core.mime import encoded_alternative, header, sender
from app.models import MessageRow, Notice, NoticeMessage
from app.outages.notices.facts import BatchFacts, load_facts
from app.outages.notices.mime import identify
from app.outages.notices.render import EmailRenderer, render, subject
from app.outages.notices.values import values_for

# A preview (`outage start --dry-run`) signs no link for anyone: these stand in for them.
PREVIEW_LINKS = {
    "status_url": "[their private status page link]",
    "unsubscribe_url": "[their unsubscribe link]",
}


def compose_email(
    notice: Notice, message: MessageRow, facts: BatchFacts, renderer: EmailRenderer | None = None
) -> Message:
    """One notice email to one address, with one-click unsubscribe (RFC 8058).

    Pass the batch's `renderer` so that its variants are rendered once for the whole batch.
    """
    mail_from = current_app.config["MAIL_FROM"]
    title, text, html, values = (renderer or EmailRenderer(notice, facts)).parts(message)
    email = encoded_alternative(text, html)
    email["Subject"] = header(title)
    email["From"] = sender(mail_from)
    email["To"] = header(message.address)
    identify(email, (notice.id, message.id), message.random_id, message.created_at, mail_from)
    email["Auto-Submitted"] = "auto-generated"
    email["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def preview_email(notice: Notice, message: MessageRow, facts: BatchFacts) -> tuple[str, str]:
    """The subject and plain text of one notice email, its personal links left as placeholders."""
    values = {**values_for(notice, message, facts), **PREVIEW_LINKS}
    return subject(values), render("notice.txt", values)


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
    return render("notice.sms.txt", values_for(notice, message, facts)).strip()
