"""Finding, checking and deleting subscribers: what the REST API and the admin UI share.

Field rules live in `subscriber_rules`; this module holds the ones that need the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, or_, select, update
from sqlalchemy.orm import Session

from app.core.extensions import jobs
from app.models import Call, Subscriber, Voicemail
from app.retention import erase_voicemails, request_erasure

SEARCH_MAX = 100  # characters of a search query
ERASURE_CHUNK = 200  # voicemails one erasure job purges, well within its timeout


def search(q: str = "") -> Select[Any]:
    """Subscribers by number, those whose number, name or an email address contains `q`."""
    query = select(Subscriber).order_by(Subscriber.number)
    return query.where(or_(*_matches(q))) if q else query


def _matches(q: str) -> list[Any]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conditions = [
        Subscriber.number.ilike(pattern, escape="\\"),
        Subscriber.name.ilike(pattern, escape="\\"),
        cast(Subscriber.emails, String).ilike(pattern, escape="\\"),
    ]
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and all(ch.isdigit() or ch in " +-.()" for ch in q):  # "+1 (415) 555" finds +1415555…
        conditions.append(Subscriber.number.like(f"%{digits}%"))
    return conditions


def search_problem(q: str) -> str | None:
    """What is wrong with a search query, completing "The query ...", or None."""
    if len(q) > SEARCH_MAX or "\x00" in q:
        return f"must be at most {SEARCH_MAX} characters"
    return None


@dataclass(frozen=True)
class NumberConflict:
    """A number another subscriber already holds, or a backup that cannot be one."""

    field: str  # "number" or "backup_number"
    problem: str
    taken_by: int | None = None  # the subscriber that already has this number


def number_conflicts(
    session: Session,
    subscriber: Subscriber | None,
    number: str | None,
    backup: str | None,
    *,
    check_number: bool = True,
) -> list[NumberConflict]:
    """Numbers stay unique, and no subscriber's number is anyone's backup number.

    `subscriber` is the one being changed (None when adding one); `number` and `backup` are
    the values it will have. With `check_number` false the number is taken as already checked.
    """
    conflicts: list[NumberConflict] = []
    others = select(Subscriber)
    if subscriber is not None and subscriber.id is not None:
        others = others.where(Subscriber.id != subscriber.id)
    if check_number and number:
        taken = session.scalars(others.where(Subscriber.number == number)).first()
        if taken is not None:
            problem = f"subscriber {taken.id} already has the number {number}"
            conflicts.append(NumberConflict("number", problem, taken_by=taken.id))
        owner = session.scalars(others.where(Subscriber.backup_number == number)).first()
        if owner is not None:
            problem = f"{number} is the backup number of subscriber {owner.id}"
            conflicts.append(NumberConflict("number", problem))
    if backup and (backup == number or _holder(session, backup)):
        problem = f"{backup} is a subscriber's own number; a backup must reach them elsewhere"
        conflicts.append(NumberConflict("backup_number", problem))
    return conflicts


def _holder(session: Session, number: str) -> Subscriber | None:
    return session.scalars(select(Subscriber).where(Subscriber.number == number)).first()


def delete_subscriber(session: Session, subscriber: Subscriber) -> None:
    """Delete a subscriber and erase their voicemails: audio, transcripts, callers' numbers.

    The voicemails are marked for erasure in the same transaction as the delete; the erasure job
    then deletes the copies held elsewhere, and the periodic purge finishes whatever it could not.
    The call and voicemail rows stay, unlinked, for counts and the audit trail.
    """
    voicemail_ids = request_erasure(session, subscriber.id)
    for model in (Call, Voicemail):
        session.execute(
            update(model).where(model.subscriber_id == subscriber.id).values(subscriber_id=None)
        )
    session.delete(subscriber)
    session.commit()
    for start in range(0, len(voicemail_ids), ERASURE_CHUNK):
        jobs.enqueue(erase_voicemails, voicemail_ids[start : start + ERASURE_CHUNK])
