"""Reminders to ADMIN_EMAIL about active outages left without an update, or past their ETR.

A channel that is set up and then left silent is worse than none: subscribers and callers keep
hearing an old message. Each reminder goes once per outage, condition and update (remembered in
job_state under the outage's `updated_at`), so posting an update re-arms it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.extensions import db, mailer
from app.core.mail import MailError
from app.models import JobState, Outage, utcnow
from app.outages.lifecycle import active_outages
from app.outages.reminder_email import ETR_PASSED, STALE, compose_reminder
from app.outages.reminder_overlaps import overlap_lines, overlaps_of
from forwarding.providers import fallback

log = structlog.get_logger(__name__)

KEY_PREFIX = "reminder."


def remind_admins() -> int:
    """Email the admins about each outage that needs an update; return how many emails went.

    At least once: a crash between sending and remembering sends that reminder again.
    """
    session = db.session()
    now = utcnow()
    active = active_outages(session)
    _forget_finished(session, {outage.id for outage in active})
    session.commit()
    due = [(outage, conditions) for outage in active if (conditions := _due(session, outage, now))]
    if not due:
        return 0
    admin = current_app.config.get("ADMIN_EMAIL")
    if not admin:
        log.error(
            "outages need an update and ADMIN_EMAIL is unset; nobody reminded",
            outage_ids=[outage.id for outage, _ in due],
        )
        return 0
    return sum(
        _remind(session, outage, conditions, now, admin, active) for outage, conditions in due
    )


def _due(session: Session, outage: Outage, now: datetime) -> list[str]:
    after = timedelta(minutes=current_app.config["BACKLINE_REMINDER_AFTER_MINUTES"])
    conditions = []
    if now - outage.updated_at >= after:
        conditions.append(STALE)
    if outage.etr is not None and outage.etr <= now:
        conditions.append(ETR_PASSED)
    return [c for c in conditions if not _already_sent(session, outage, c)]


def _remind(
    session: Session,
    outage: Outage,
    conditions: list[str],
    now: datetime,
    admin: str,
    active: Sequence[Outage],
) -> int:
    overlaps = overlap_lines(outage, overlaps_of(session, outage, active))
    message = compose_reminder(
        outage, conditions, now, admin, current_app.config["MAIL_FROM"], overlaps
    )
    try:
        _send(message)
    except MailError as exc:  # the next run tries again
        log.error("could not send an outage reminder", outage_id=outage.id, error=str(exc))
        return 0
    for condition in conditions:
        row = session.get(JobState, _key(outage.id, condition)) or JobState(
            name=_key(outage.id, condition), value=""
        )
        row.value = outage.updated_at.isoformat()
        session.add(row)
    session.commit()
    log.info("admins reminded about an outage", outage_id=outage.id, conditions=conditions)
    return 1


def _send(message: EmailMessage) -> None:
    try:
        mailer().send(message)
    except MailError:
        second = fallback()
        if second is None:
            raise
        second.send(message)


def _already_sent(session: Session, outage: Outage, condition: str) -> bool:
    row = session.get(JobState, _key(outage.id, condition))
    return row is not None and row.value == outage.updated_at.isoformat()


def _forget_finished(session: Session, active_ids: set[int]) -> None:
    names = session.scalars(select(JobState.name).where(JobState.name.like(KEY_PREFIX + "%")))
    finished = [n for n in names if _outage_id(n) not in active_ids]
    if finished:
        session.execute(delete(JobState).where(JobState.name.in_(finished)))


def _key(outage_id: int, condition: str) -> str:
    return f"{KEY_PREFIX}{outage_id}.{condition}"


def _outage_id(name: str) -> int | None:
    part = name[len(KEY_PREFIX) :].partition(".")[0]
    return int(part) if part.isdigit() else None
