"""Notice SMS, paced at the sender's rate (BACKLINE_SMS_RATE messages a second).

Carriers and Twilio throttle a sender to its rate and queue or drop the rest, so Backline sends
no faster: one periodic job (one run at a time) sends what a window allows, oldest notice
first, and stops when the window is over even if a slow provider let it send fewer. SMS waits for the fan-out to finish, so each text names every number it covers.
"""

from __future__ import annotations

import time

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.extensions import db
from app.models import Channel, MessageState, Notice, NoticeMessage, NoticeState
from app.outages.notices.send import finish_if_done
from app.outages.notices.sms_delivery import deliver_sms
from app.outages.notices.text import sms_body

log = structlog.get_logger(__name__)

WINDOW_S = 5.0  # the periodic job's interval: it sends one window's worth each run


def sms_rate() -> int:
    return max(1, int(current_app.config["BACKLINE_SMS_RATE"]))


def pace_sms(window_s: float = WINDOW_S, notice_id: int | None = None) -> int:
    """Send up to one window's worth of pending notice SMS at the sender's rate; return how many."""
    rate = sms_rate()
    session = db.session()
    query = (
        select(NoticeMessage)
        .join(Notice, Notice.id == NoticeMessage.notice_id)
        .where(
            Notice.state == NoticeState.SENDING,
            NoticeMessage.channel == Channel.SMS,
            NoticeMessage.state == MessageState.PENDING,
        )
        .order_by(NoticeMessage.notice_id, NoticeMessage.id)
        .limit(max(1, int(rate * window_s)))
    )
    if notice_id is not None:
        query = query.where(Notice.id == notice_id)
    batch = list(session.scalars(query).all())
    session.commit()  # hold no locks while pacing
    sent = _send_within(batch, rate, window_s)
    for touched in {message.notice_id for message in sent}:
        finish_if_done(session, session.get_one(Notice, touched))
    return len(sent)


def _send_within(batch: list[NoticeMessage], rate: int, window_s: float) -> list[NoticeMessage]:
    """Send at the rate until the window is over; what a slow provider left waits for the next
    run, so a run lasts one window plus at most one send, never minutes."""
    started = next_send = time.monotonic()
    sent: list[NoticeMessage] = []
    for message in batch:
        if next_send - started >= window_s:
            break
        time.sleep(max(0.0, next_send - time.monotonic()))
        next_send = time.monotonic() + 1 / rate
        deliver_sms(message, sms_body(message))
        sent.append(message)
    return sent


def drain_sms(notice_id: int, on_progress: object = None) -> int:
    """Send every pending SMS of one notice at the sender's rate (the CLI without a worker)."""
    sent = 0
    while batch := pace_sms(notice_id=notice_id):
        sent += batch
        if callable(on_progress):
            on_progress(batch)
    return sent
