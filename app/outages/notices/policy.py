"""When subscribers are told about an outage: which changes make a notice, and when it goes.

A notice is made for the start, for each change of the subscriber message or ETR, for the
resolution (with each subscriber's summary) and for a published post-incident report, and for
nothing else: a state change alone, or a caller-only message, tells subscribers nothing new.

An outage a person started (admin, API) is confirmed at once and its notices go at once. One
opened by Alertmanager or the detector holds its start notice until a person confirms it (any
change a person makes confirms it too) or until it has been firing for
BACKLINE_AUTO_NOTIFY_AFTER minutes; the held notice then goes out saying what is current. An
automatic outage nobody confirmed, and that stopped firing, is never announced: nobody is told
about an alarm that may have been false, unless its end is also the end of a subscriber's time
in an announced outage that overlapped it: then its resolve notice carries that resolution
(see app.coverage; who is told what is decided as the notice goes out).

Released notices are queued for fan-out once the transaction that released them commits, so a
rolled-back change announces nothing (the hook is `queue_released_on_commit`, which create_app
registers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.extensions import db, jobs
from app.models import (
    Notice,
    NoticeKind,
    NoticeState,
    Outage,
    OutageEvent,
    OutageSource,
    OutageState,
    utcnow,
)
from app.models.outage import PEOPLE
from app.outages.coverage import is_announced, load_coverage
from app.outages.notices.fanout import fan_out_notice

log = structlog.get_logger(__name__)

AUTOMATIC_ACTORS = ("detector", "alertmanager")
SUBSCRIBER_FACING = ("subscriber_message", "subscriber_messages", "etr")
AUTO_NOTIFY_ACTOR = "auto-notify"
_RELEASED = "backline.released_notices"


def is_person(actor: str) -> bool:
    """Whether a change was made by a person (CLI, API, admin UI) rather than by a detector."""
    return actor.split(":", 1)[0] not in (*AUTOMATIC_ACTORS, AUTO_NOTIFY_ACTOR)


def on_start(session: Session, outage: Outage, started: OutageEvent) -> None:
    """A person's outage is confirmed as it starts; an automatic one waits, its notice held."""
    if outage.source in PEOPLE:
        outage.confirmed_at, outage.confirmed_by = outage.started_at, started.actor
    _make(session, outage, started, NoticeKind.START)


def on_update(session: Session, outage: Outage, updated: OutageEvent) -> None:
    """A person's change confirms the outage; a new message or ETR makes an update notice."""
    if outage.confirmed_at is None and is_person(updated.actor):
        confirm(session, outage, actor=updated.actor)
        return  # the start notice, released now, already says what the update says
    if outage.confirmed_at is not None and set(updated.changes) & set(SUBSCRIBER_FACING):
        _make(session, outage, updated, NoticeKind.UPDATE)


def on_resolve(session: Session, outage: Outage, resolved: OutageEvent) -> None:
    """Announced outages end with a summary; an unannounced one ends silently, unless it may
    end the time in outage of subscribers an announced outage that overlapped it told."""
    _cancel_held(session, outage)
    if outage.confirmed_at is not None:
        _make(session, outage, resolved, NoticeKind.RESOLVE)
    elif _may_end_an_announced_stretch(session, outage):
        log.info("unannounced outage resolved after an announced one; it ends their time in outage")
        _make(session, outage, resolved, NoticeKind.RESOLVE, release=True)
    else:
        log.info("outage resolved before anyone was told of it; no summary", outage_id=outage.id)


def on_report(session: Session, outage: Outage, published: OutageEvent) -> None:
    """The post-incident report goes to the subscribers who were told of the outage."""
    if outage.confirmed_at is not None:
        _make(session, outage, published, NoticeKind.REPORT)


def confirm(session: Session, outage: Outage, *, actor: str) -> bool:
    """Confirm an automatic outage and release its held notice; False if it was confirmed already."""
    if outage.confirmed_at is not None:
        return False
    outage.confirmed_at, outage.confirmed_by = utcnow(), actor
    confirmed = OutageEvent(outage=outage, actor=actor, action="confirm", changes={})
    session.add(confirmed)
    held = session.scalars(
        select(Notice).where(Notice.outage_id == outage.id, Notice.state == NoticeState.HELD)
    ).all()
    for notice in held:
        notice.content = content_of(outage)  # say what is true now, not when it was held
        _release(session, notice)
    return True


def release_overdue() -> int:
    """Confirm automatic outages firing for BACKLINE_AUTO_NOTIFY_AFTER; return how many."""

    session = db.session()
    minutes = current_app.config["BACKLINE_AUTO_NOTIFY_AFTER"]
    firing = (OutageState.INVESTIGATING.value, OutageState.IDENTIFIED.value)
    overdue = session.scalars(
        select(Outage).where(
            Outage.confirmed_at.is_(None),
            Outage.state.in_(firing),
            Outage.source.in_([OutageSource.ALERTMANAGER.value, OutageSource.DETECTOR.value]),
            Outage.started_at <= utcnow() - timedelta(minutes=minutes),
        )
    ).all()
    for outage in overdue:
        confirm(session, outage, actor=f"{AUTO_NOTIFY_ACTOR}:firing for {minutes} min")
        log.warning("automatic outage unconfirmed; notifying subscribers", outage_id=outage.id)
    session.commit()
    return len(overdue)


def content_of(outage: Outage) -> dict[str, Any]:
    """What a notice says, fixed when it is released so that a resend says the same."""
    return {
        "subscriber_message": outage.subscriber_message,
        "subscriber_messages": dict(outage.subscriber_messages or {}),
        "etr": outage.etr.isoformat() if outage.etr else None,
        "state": outage.state,
        "started_at": outage.started_at.isoformat(),
        "resolved_at": outage.resolved_at.isoformat() if outage.resolved_at else None,
        "report": outage.report,
        "announced": is_announced(outage),  # an unannounced outage's message is never shown
    }


def _may_end_an_announced_stretch(session: Session, outage: Outage) -> bool:
    """Whether an announced outage ended while this one (or one it overlaps) was active."""
    coverage = load_coverage(session, outage)
    return any(
        is_announced(other) and not other.is_active and other.id != outage.id
        for other in coverage.outages
    )


def _make(
    session: Session,
    outage: Outage,
    cause: OutageEvent,
    kind: NoticeKind,
    *,
    release: bool = False,
) -> Notice:
    held = outage.confirmed_at is None and not release
    notice = Notice(
        outage_id=outage.id,
        event=cause,
        kind=kind,
        state=NoticeState.HELD if held else NoticeState.QUEUED,
        content=content_of(outage),
    )
    session.add(notice)
    if not held:
        _release(session, notice)
    return notice


def _release(session: Session, notice: Notice) -> None:
    notice.state, notice.released_at = NoticeState.QUEUED, utcnow()
    session.flush()
    session.info.setdefault(_RELEASED, []).append(notice.id)


def _cancel_held(session: Session, outage: Outage) -> None:
    held = session.scalars(
        select(Notice).where(Notice.outage_id == outage.id, Notice.state == NoticeState.HELD)
    )
    for notice in held:
        notice.state, notice.finished_at = NoticeState.CANCELLED, utcnow()


def queue_released_on_commit() -> None:
    """From now on in this process, notices released in a transaction are queued for fan-out
    when it commits, and forgotten when it rolls back. The composition root (create_app)
    calls this; twice is once."""
    for name, listener in (("after_commit", _queue_released), ("after_rollback", _forget_released)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _queue_released(session: Session) -> None:
    released = session.info.pop(_RELEASED, None)
    if not released or not has_app_context():
        return

    for notice_id in released:
        jobs.enqueue(fan_out_notice, notice_id)  # the notice sweeper catches a failed enqueue


def released_in(session: Session) -> list[int]:
    """The notices released in the session's open transaction, by id: what its commit queues."""
    return list(session.info.get(_RELEASED, []))


def _forget_released(session: Session) -> None:
    session.info.pop(_RELEASED, None)
