"""Sending a batch of notice emails over one connection, and finishing a notice.

A job claims the pending messages of its id range (pending → sending, a compare-and-set), sends
them one after another through the mailer (which keeps its SMTP connection open), and commits
their outcomes together. A worker killed mid-batch leaves its messages `sending`; the notice
sweeper puts them back after LEASE and they go again with the same Message-ID: at most one batch
repeats, the documented duplicate window for notices. Unsubscribed addresses are refused, never
sent. What a message says is worked out as it goes, so an outage that started or ended since
the fan-out changes it; one left with nothing true to say is withdrawn (app.coverage). Transient
failures go back to pending and the job raises, so its retries are the backoff; after
BACKLINE_MAIL_FALLBACK_AFTER failed attempts MAIL_FALLBACK_URL carries the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import Message
from email.utils import parseaddr
from typing import Any, cast

import structlog
from flask import current_app
from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.core.extensions import db, mailer
from app.core.jobs import job
from app.core.mail import Envelope, Mailer, MailError, PermanentMailError, send_all
from app.models import (
    OPEN_MESSAGE_STATES,
    Channel,
    MessageRow,
    MessageState,
    Notice,
    NoticeMessage,
    NoticeState,
    OptOut,
    utcnow,
)
from app.outages.coverage import NOTHING_TRUE
from app.outages.notices.facts import load_facts
from app.outages.notices.render import EmailRenderer
from app.outages.notices.text import compose_email
from forwarding.providers import fallback

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=10)  # longer than the send job's timeout
ERROR_MAX_CHARS = 1000


class NoticeRetry(MailError):
    """Some messages of the batch failed transiently; the job's retry sends them again."""


@job("notices", timeout=300, retry_intervals=(10, 30, 60, 120, 300, 600))
def send_notice_emails(notice_id: int, first_id: int, last_id: int) -> None:
    """Send the pending notice emails with ids first_id..last_id."""
    session = db.session()
    notice = session.get(Notice, notice_id)
    if notice is None or notice.state != NoticeState.SENDING:
        return
    structlog.contextvars.bind_contextvars(notice_id=notice_id, outage_id=notice.outage_id)
    messages = claim(session, notice_id, Channel.EMAIL, first_id, last_id)
    if not messages:
        finish_if_done(session, notice)
        return
    unsubscribed = opted_out(session, Channel.EMAIL, notice_id, first_id, last_id)
    subscriber_ids = {i for m in messages for i in m.subscriber_ids}
    facts = load_facts(session, notice, subscriber_ids)
    renderer = EmailRenderer(notice, facts)
    sender = parseaddr(current_app.config["MAIL_FROM"])[1]
    outcomes, to_send = [], []
    for message in messages:
        if message.address in unsubscribed:
            outcomes.append(_closed(message, MessageState.REFUSED, "unsubscribed from notices"))
        elif not facts.audience(notice.kind, message.subscriber_ids):
            outcomes.append(_closed(message, MessageState.WITHDRAWN, NOTHING_TRUE))
        else:
            to_send.append(message)
    outcomes += _send(to_send, lambda m: compose_email(notice, m, facts, renderer), sender)
    record_outcomes(session, outcomes)
    session.commit()
    finish_if_done(session, notice)
    if any(outcome["state"] == MessageState.PENDING for outcome in outcomes):
        raise NoticeRetry(f"some emails of notice {notice_id} failed; retrying")


def _send(
    messages: list[MessageRow], compose: Callable[[MessageRow], Message], sender: str
) -> list[dict[str, Any]]:
    """Hand the emails to their providers, each provider's in turn over one connection (SMTP
    pipelines them); what became of each (pending again: try later). Each email is composed
    as its provider takes it: SMTP takes the next while the relay answers the last."""
    by_provider: dict[Mailer, list[MessageRow]] = {}
    for message in messages:
        by_provider.setdefault(_provider_for(message), []).append(message)
    outcomes = []
    for provider, group in by_provider.items():
        emails: list[Message] = []
        errors = send_all(provider, _composed(group, compose, sender, emails))
        for n, (message, error) in enumerate(zip(group, errors, strict=True)):
            sent = {"provider": provider.name, "provider_id": emails[n]["Message-ID"]}
            outcomes.append(_after(message, error) | sent)
    return outcomes


def _composed(
    messages: list[MessageRow],
    compose: Callable[[MessageRow], Message],
    sender: str,
    emails: list[Message],
) -> Iterator[tuple[Message, Envelope]]:
    """Each message's email and envelope, composed when asked for, kept in `emails` too."""
    for message in messages:
        email = compose(message)
        emails.append(email)
        yield email, Envelope(sender, [message.address])


def _after(message: MessageRow, error: MailError | None) -> dict[str, Any]:
    """One message's outcome once its provider answered."""
    if error is None:
        return _outcome(message, MessageState.SENT, None, sent_at=utcnow())
    if isinstance(error, PermanentMailError):
        return _closed(message, MessageState.FAILED, str(error))
    if message.attempts >= current_app.config["BACKLINE_MAX_DELIVERY_ATTEMPTS"]:
        return _closed(message, MessageState.FAILED, f"gave up after {message.attempts}: {error}")
    return _closed(message, MessageState.PENDING, str(error))


def _provider_for(message: MessageRow) -> Mailer:
    second = fallback()
    if second is not None and message.attempts > current_app.config["BACKLINE_MAIL_FALLBACK_AFTER"]:
        return second
    return mailer()


def _closed(message: MessageRow, state: MessageState, reason: str) -> dict[str, Any]:
    return _outcome(message, state, reason[:ERROR_MAX_CHARS])


def _outcome(
    message: MessageRow, state: MessageState, error: str | None, sent_at: datetime | None = None
) -> dict[str, Any]:
    """One message's row as the batch leaves it: the columns to set (every outcome names the same
    ones) and `message_id`, the row's key."""
    return {
        "message_id": message.id,
        "state": state,
        "last_error": error,
        "sent_at": sent_at or message.sent_at,
        "provider": message.provider,
        "provider_id": message.provider_id,
    }


def record_outcomes(session: Session, outcomes: list[dict[str, Any]]) -> None:
    """Write the batch's outcomes, one UPDATE by primary key per message sent together
    (executemany), not through the unit of work: tracking each message's changes cost more than
    sending it."""
    if outcomes:
        session.execute(_SET_OUTCOME, outcomes)


_MESSAGES = cast(Table, NoticeMessage.__table__)
# SET takes the columns the outcomes name (Core derives it from the parameters' keys).
_SET_OUTCOME = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id"))


def claim(
    session: Session, notice_id: int, channel: Channel, first_id: int, last_id: int
) -> list[MessageRow]:
    """Mark the range's pending messages `sending` for this job and return them, in id order.

    One statement claims the rows and returns them whole (UPDATE … RETURNING), so a batch
    costs no second query to load what it claimed. They come back as rows, not ORM objects:
    nothing about them is changed through the session, and loading each as a tracked object
    cost a tenth of sending it.
    """
    claimed = session.execute(
        update(_MESSAGES)
        .where(
            _MESSAGES.c.notice_id == notice_id,
            _MESSAGES.c.channel == channel,
            _MESSAGES.c.id.between(first_id, last_id),
            _MESSAGES.c.state == MessageState.PENDING,
        )
        .values(state=MessageState.SENDING, attempts=_MESSAGES.c.attempts + 1, claimed_at=utcnow())
        .returning(*_MESSAGES.c)
    ).all()
    session.commit()
    return sorted(cast(list[MessageRow], claimed), key=lambda message: message.id)


def opted_out(
    session: Session, channel: Channel, notice_id: int, first_id: int, last_id: int
) -> set[str]:
    """The addresses of the notice's messages first_id..last_id on this channel that asked for
    no more notices. The range is named, not its addresses: an IN list of a batch's addresses
    cost a fifth of the batch's queries to build and bind."""
    addresses = select(NoticeMessage.address).where(
        NoticeMessage.notice_id == notice_id,
        NoticeMessage.channel == channel,
        NoticeMessage.id.between(first_id, last_id),
    )
    return set(
        session.scalars(
            select(OptOut.address).where(OptOut.channel == channel, OptOut.address.in_(addresses))
        )
    )


def finish_if_done(session: Session, notice: Notice) -> bool:
    """Mark a notice done once none of its messages is pending or being sent."""
    if notice.state != NoticeState.SENDING:
        return notice.state == NoticeState.DONE
    if session.scalar(_any_open_message(notice.id)) is not None:
        return False
    session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.SENDING)
        .values(state=NoticeState.DONE, finished_at=utcnow())
    )
    session.commit()
    session.refresh(notice)
    log.info("notice finished", notice_id=notice.id)
    return True


def _any_open_message(notice_id: int) -> Select[tuple[int | None]]:
    """A message of the notice still pending or being sent, if any: one probe per channel of
    the index on (notice, channel, state, id), in the range of states from the first open one
    to the last, ordered by state so that only that index can answer it.

    Asked as an EXISTS, PostgreSQL judged from statistics gathered while every message was
    pending that a scan of the table would meet an open one at once, and read past every
    message already sent, every batch.
    """
    first, last = min(OPEN_MESSAGE_STATES), max(OPEN_MESSAGE_STATES)
    probes = [
        select(NoticeMessage.id)
        .where(
            NoticeMessage.notice_id == notice_id,
            NoticeMessage.channel == channel,
            NoticeMessage.state.between(first, last),
            NoticeMessage.state.in_(OPEN_MESSAGE_STATES),
        )
        .order_by(NoticeMessage.state)
        .limit(1)
        .scalar_subquery()
        for channel in Channel
    ]
    return select(func.coalesce(*probes))
