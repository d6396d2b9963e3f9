"""What the dashboard counts: live counters, notice progress and the primary platform's status.

Every query is bounded by time (the last hour or day, on indexed columns where there is one) or
by the few active outages, so the page stays cheap when an outage makes the tables grow fast.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models import (
    Call,
    Delivery,
    DeliveryState,
    JobState,
    Notice,
    NoticeState,
    Outage,
    Voicemail,
)
from app.outages.affected import affected_by_any
from app.outages.detector import MEMORY_KEY
from app.outages.detector_probe import failures_since
from app.outages.notices.progress import outage_progress
from ivr.call_end import CALL_ENDED, longest_call

IVR_OUTCOMES = ("ivr", "fallback", "voicemail", "backup")
COUNTER_WINDOW = timedelta(hours=24)
EMAIL_STATES = (DeliveryState.ACCEPTED, DeliveryState.BOUNCED, DeliveryState.FAILED)
ACTIVE_NOTICES = (NoticeState.QUEUED, NoticeState.SENDING)


@dataclass(frozen=True)
class Counters:
    calls_in_ivr: int
    voicemails: int
    emails: dict[str, int]  # voicemail emails by state
    delayed: int  # voicemail emails waiting for a retry, however old: they are never given up


@dataclass(frozen=True)
class ChannelProgress:
    channel: str
    total: int
    sent: int
    failed: int
    refused: int
    pending: int

    @property
    def finished(self) -> int:
        return self.total - self.pending


@dataclass(frozen=True)
class NoticeProgress:
    notice_id: int
    outage_id: int
    kind: str
    state: str
    channels: list[ChannelProgress]


@dataclass(frozen=True)
class DetectorState:
    down_streak: int
    healthy_streak: int
    checked_at: datetime


@dataclass(frozen=True)
class PrimaryStatus:
    outages_by_source: dict[str, int]
    probe_url: str | None
    detector: DetectorState | None
    recent_failures: int  # failed calls counted as evidence within the detector's window
    window_s: int
    everyone_down: bool = False  # an active outage covers every subscriber
    subscribers_down: int = 0  # subscribers some active outage covers, each counted once

    @property
    def level(self) -> str:
        """The card's colour: "down" (everyone), "partial" (scoped outages only) or "up"."""
        if self.everyone_down:
            return "down"
        return "partial" if self.outages_by_source else "up"

    @property
    def summary(self) -> str:
        """One sentence for the status card."""
        if self.everyone_down:
            count = sum(self.outages_by_source.values())
            return f"Down: {count} active outage{'s' if count != 1 else ''}"
        if self.outages_by_source:
            count = self.subscribers_down
            return f"Partial outage: {count} subscriber{'s' if count != 1 else ''}"
        if self.detector and self.detector.down_streak:
            return "Looks down: the health probe is failing"
        if self.recent_failures:
            return "Failed calls seen: the detector is counting"
        return "Up, as far as Backline can tell"


def live_counters(session: Session, now: datetime) -> Counters:
    """Calls in the outage IVR now, and voicemails and emails of the last 24 hours.

    A call is over once Twilio said so (its final `CallStatus`); one whose status callback never
    came is over once it is older than the longest call the IVR allows.
    """
    in_ivr = select(func.count()).where(
        Call.created_at >= now - longest_call(current_app.config),
        Call.outcome.in_(IVR_OUTCOMES),
        Call.ended_at.is_(None),
        or_(Call.status.is_(None), Call.status.not_in(sorted(CALL_ENDED))),
    )
    since = now - COUNTER_WINDOW
    voicemails = select(func.count()).where(Voicemail.recorded_at >= since)
    emails = (
        select(Delivery.state, func.count())
        .where(Delivery.created_at >= since, Delivery.state.in_(EMAIL_STATES))
        .group_by(Delivery.state)
    )
    by_state: dict[str, int] = {str(s): int(n) for s, n in session.execute(emails).all()}
    delayed = select(func.count()).where(Delivery.state == DeliveryState.DELAYED)
    return Counters(
        calls_in_ivr=int(session.scalar(in_ivr) or 0),
        voicemails=int(session.scalar(voicemails) or 0),
        emails={state.value: by_state.get(state.value, 0) for state in EMAIL_STATES},
        delayed=int(session.scalar(delayed) or 0),
    )


def active_notice_progress(session: Session) -> list[NoticeProgress]:
    """Progress of every notice still being fanned out or sent, oldest first."""
    notices = session.execute(
        select(Notice.id, Notice.outage_id).where(
            Notice.state.in_([s.value for s in ACTIVE_NOTICES])
        )
    ).all()
    wanted = {notice_id for notice_id, _ in notices}
    entries = []
    for outage_id in sorted({outage_id for _, outage_id in notices}):
        for entry in outage_progress(session, outage_id):
            if entry["notice_id"] in wanted:
                entries.append(_progress(outage_id, entry))
    return entries


def _progress(outage_id: int, entry: dict[str, Any]) -> NoticeProgress:
    channels = [_channel(name, entry[name]) for name in ("email", "sms") if entry[name]["total"]]
    return NoticeProgress(entry["notice_id"], outage_id, entry["kind"], entry["state"], channels)


def _channel(name: str, counts: dict[str, Any]) -> ChannelProgress:
    return ChannelProgress(
        channel=name,
        total=int(counts["total"]),
        sent=int(counts["sent"]),
        failed=int(counts["failed"]),
        refused=int(counts["refused"]),
        pending=int(counts["pending"]),
    )


def primary_status(session: Session, active: list[Outage], now: datetime) -> PrimaryStatus:
    """Active outages by source, the detector's probe streaks and the recent failed calls."""
    config = current_app.config
    window_s = int(config["BACKLINE_DETECTOR_WINDOW_SECONDS"])
    return PrimaryStatus(
        outages_by_source=dict(Counter(outage.source for outage in active)),
        probe_url=config.get("PRIMARY_HEALTH_URL") or None,
        detector=_detector_state(session),
        recent_failures=failures_since(session, now - timedelta(seconds=window_s)),
        window_s=window_s,
        everyone_down=any(outage.covers_everyone for outage in active),
        subscribers_down=affected_by_any(session, active),
    )


def _detector_state(session: Session) -> DetectorState | None:
    """What the detector's last check remembered, or None before its first check."""
    row = session.get(JobState, MEMORY_KEY)
    if row is None:
        return None
    try:
        memory = json.loads(row.value)
        return DetectorState(
            down_streak=int(memory.get("down_streak", 0)),
            healthy_streak=int(memory.get("healthy_streak", 0)),
            checked_at=row.updated_at,
        )
    except (AttributeError, TypeError, ValueError):  # written by another version
        return None
