"""The notice an outage would send first, for a dry run: nothing is written, nothing is signed.

It is the start notice's email to the first subscriber the scope reaches (the lowest id, as
fan-out walks them), rendered by the very templates fan-out uses, in that subscriber's
language and time zone; the personal links are placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import Channel, Notice, NoticeKind, NoticeMessage, Outage, Subscriber
from app.outages.affected import affected_subscribers
from app.outages.notices.facts import BatchFacts
from app.outages.notices.policy import content_of
from app.outages.notices.text import preview_email


@dataclass(frozen=True)
class NoticePreview:
    """One notice email as its recipient would read it."""

    address: str
    number: str
    subject: str
    text: str


def first_notice(session: Session, outage: Outage) -> NoticePreview | None:
    """The start notice the outage's first subscriber would get; None when it reaches nobody."""
    query = affected_subscribers(outage).order_by(Subscriber.id).limit(1)
    subscriber = session.scalars(query).first()
    if subscriber is None:
        return None
    address = (subscriber.emails or [""])[0]
    # As it reads once released: a start notice goes out only for an announced outage.
    notice = Notice(kind=NoticeKind.START, content={**content_of(outage), "announced": True})
    message = NoticeMessage(
        channel=Channel.EMAIL.value,
        address=address,
        subscriber_ids=[subscriber.id],
        language=subscriber.language,
        timezone=subscriber.timezone,
    )
    facts = BatchFacts({subscriber.id: subscriber.number}, {})
    subject, text = preview_email(notice, message, facts)
    return NoticePreview(address, subscriber.number, subject, text)
