"""Retrying failed notice messages: an admin's second chance for what the providers gave up on.

A retried message goes back to `pending` with a fresh attempt budget (its last error stays until
the next attempt replaces it). Its notice goes back to `sending` if it had finished, because
both senders only pick up messages of a `sending` notice: the SMS pacing job finds pending SMS by
itself, and the notice's pending emails are queued again here. Refused messages (opted out,
unsubscribed, landlines) are final and never retried: an opt-out is honoured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import structlog
from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.orm import Session

from app.models import Channel, MessageState, Notice, NoticeMessage, NoticeState
from app.outages.notices.fanout import queue_email_batches

log = structlog.get_logger(__name__)

RETRYABLE_NOTICES = (NoticeState.SENDING, NoticeState.DONE)


class NoticeRetryRefused(ValueError):
    """A notice message that cannot be retried; the message says why."""


class NoSuchNoticeMessage(NoticeRetryRefused):
    pass


def retryable_message(session: Session, message_id: int) -> NoticeMessage:
    """The notice message, if it may be retried: it exists, failed, and its notice was sent."""
    message = session.get(NoticeMessage, message_id)
    if message is None:
        raise NoSuchNoticeMessage(f"There is no notice message {message_id}.")
    if message.state != MessageState.FAILED:
        raise NoticeRetryRefused(
            f"Notice message {message.id} is {message.state}; only failed messages are retried."
        )
    notice = session.get_one(Notice, message.notice_id)
    if notice.state not in RETRYABLE_NOTICES:
        raise NoticeRetryRefused(f"Notice {notice.id} is {notice.state}; it cannot be resent.")
    return message


def failed_count(session: Session) -> int:
    """How many failed messages "retry all" would retry."""
    query = select(func.count()).select_from(NoticeMessage).where(*_failed_and_retryable())
    return int(session.scalar(query) or 0)


def retry_notice_messages(session: Session, message_ids: Sequence[int] | None = None) -> int:
    """Put failed messages (these, or all of them) back to pending, reopen their notices and
    queue their emails. Commits. Returns how many were retried: a message someone else retried
    a moment ago is not retried twice.
    """
    conditions = _failed_and_retryable()
    if message_ids is not None:
        conditions.append(NoticeMessage.id.in_(list(message_ids)))
    retried = _reset(session, conditions)
    if not retried:
        return 0
    _reopen(session, sorted({notice_id for notice_id, _ in retried}))
    session.commit()
    for notice_id in sorted({n for n, channel in retried if channel == Channel.EMAIL}):
        queue_email_batches(session, session.get_one(Notice, notice_id))
    log.info("notice messages retried", count=len(retried))
    return len(retried)


def _failed_and_retryable() -> list[ColumnElement[bool]]:
    sent_notices = select(Notice.id).where(Notice.state.in_([s.value for s in RETRYABLE_NOTICES]))
    return [NoticeMessage.state == MessageState.FAILED, NoticeMessage.notice_id.in_(sent_notices)]


def _reset(session: Session, conditions: list[ColumnElement[bool]]) -> list[tuple[int, str]]:
    """Failed → pending (a compare-and-set); the (notice id, channel) of each message moved."""
    rows = session.execute(
        update(NoticeMessage)
        .where(*conditions)
        .values(state=MessageState.PENDING, attempts=0, claimed_at=None)
        .returning(NoticeMessage.notice_id, NoticeMessage.channel)
        .execution_options(synchronize_session=False)
    ).all()
    return [(int(row[0]), str(row[1])) for row in rows]


def _reopen(session: Session, notice_ids: Sequence[int]) -> None:
    """A finished notice is `sending` again, so that its senders look at it."""
    reopened = cast(
        CursorResult[Any],
        session.execute(
            update(Notice)
            .where(Notice.id.in_(list(notice_ids)), Notice.state == NoticeState.DONE)
            .values(state=NoticeState.SENDING, finished_at=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if reopened.rowcount:
        log.info("finished notices reopened for retried messages", count=reopened.rowcount)
    session.expire_all()  # the ORM copies of these rows are stale after the bulk updates
