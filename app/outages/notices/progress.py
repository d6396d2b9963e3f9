"""How far an outage's notices have got: per notice and channel, messages by state, SMS ETA."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Channel, MessageState, Notice, NoticeMessage

DONE_STATES = (MessageState.SENT, MessageState.DELIVERED)


def outage_progress(session: Session, outage_id: int) -> list[dict[str, Any]]:
    """One entry per notice of the outage, oldest first."""
    notices = session.scalars(
        select(Notice).where(Notice.outage_id == outage_id).order_by(Notice.id)
    ).all()
    counts = _counts(session, [notice.id for notice in notices])
    return [_entry(notice, counts.get(notice.id, {})) for notice in notices]


def _counts(session: Session, notice_ids: list[int]) -> dict[int, dict[str, dict[str, int]]]:
    rows = session.execute(
        select(NoticeMessage.notice_id, NoticeMessage.channel, NoticeMessage.state, func.count())
        .where(NoticeMessage.notice_id.in_(notice_ids))
        .group_by(NoticeMessage.notice_id, NoticeMessage.channel, NoticeMessage.state)
    ).all()
    counts: dict[int, dict[str, dict[str, int]]] = {}
    for notice_id, channel, state, count in rows:
        counts.setdefault(notice_id, {}).setdefault(channel, {})[state] = count
    return counts


def _entry(notice: Notice, by_channel: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {
        "notice_id": notice.id,
        "kind": notice.kind,
        "state": notice.state,
        "created_at": notice.created_at.isoformat(),
        "released_at": notice.released_at.isoformat() if notice.released_at else None,
        "finished_at": notice.finished_at.isoformat() if notice.finished_at else None,
        "email": _channel(by_channel.get(Channel.EMAIL, {})),
        "sms": _channel(by_channel.get(Channel.SMS, {}), sms=True),
    }


def _channel(states: dict[str, int], sms: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "total": sum(states.values()),
        "sent": sum(states.get(state, 0) for state in DONE_STATES),
        "failed": states.get(MessageState.FAILED, 0),
        "refused": states.get(MessageState.REFUSED, 0),
        "withdrawn": states.get(MessageState.WITHDRAWN, 0),
        "pending": states.get(MessageState.PENDING, 0) + states.get(MessageState.SENDING, 0),
    }
    if sms:
        summary["delivered"] = states.get(MessageState.DELIVERED, 0)
        rate = max(1, int(current_app.config["BACKLINE_SMS_RATE"]))
        summary["eta_seconds"] = math.ceil(summary["pending"] / rate)
    return summary
