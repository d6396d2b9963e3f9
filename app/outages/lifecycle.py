"""Starting, updating and resolving outages, each change written to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import (
    ACTIVE_STATES,
    Outage,
    OutageEvent,
    OutageSource,
    OutageState,
    Subscriber,
    utcnow,
)
from app.outages.notices import policy as notices


class OutageError(ValueError):
    """A change that cannot be made to an outage; the message says why."""


@dataclass
class Scope:
    regions: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)

    @property
    def covers_everyone(self) -> bool:
        """An empty scope places no limit; interfaces make people ask for it explicitly."""
        return not (self.regions or self.numbers or self.plans)


def start_outage(
    session: Session,
    *,
    actor: str,
    scope: Scope,
    caller_message: str | None = None,
    subscriber_message: str | None = None,
    etr: datetime | None = None,
    source: OutageSource = OutageSource.ADMIN,
    caller_messages: dict[str, str] | None = None,
    subscriber_messages: dict[str, str] | None = None,
) -> Outage:
    """Open an outage, active at once, and log who opened it.

    `caller_messages` / `subscriber_messages` are optional translations by language code.
    """
    outage = draft_outage(
        scope=scope,
        caller_message=caller_message,
        subscriber_message=subscriber_message,
        etr=etr,
        source=source,
        caller_messages=caller_messages,
        subscriber_messages=subscriber_messages,
    )
    session.add(outage)
    session.flush()
    notices.on_start(session, outage, _audit(session, outage, actor, "start", _snapshot(outage)))
    return outage


def draft_outage(
    *,
    scope: Scope,
    caller_message: str | None = None,
    subscriber_message: str | None = None,
    etr: datetime | None = None,
    source: OutageSource = OutageSource.ADMIN,
    caller_messages: dict[str, str] | None = None,
    subscriber_messages: dict[str, str] | None = None,
) -> Outage:
    """The outage `start_outage` would open, not added to any session (a dry run shows it)."""
    now = utcnow()
    return Outage(
        source=source,
        caller_message=caller_message,
        subscriber_message=subscriber_message,
        caller_messages=dict(caller_messages or {}),
        subscriber_messages=dict(subscriber_messages or {}),
        etr=etr,
        scope_regions=sorted(set(scope.regions)),
        scope_numbers=sorted(set(scope.numbers)),
        scope_plans=sorted(set(scope.plans)),
        state=OutageState.INVESTIGATING,
        started_at=now,
        updated_at=now,
    )


UPDATABLE = (
    "caller_message",
    "subscriber_message",
    "caller_messages",
    "subscriber_messages",
    "etr",
    "state",
)


def update_outage(session: Session, outage: Outage, *, actor: str, **changes: Any) -> Outage:
    """Change an active outage's messages, ETR or state, logging what changed."""
    if not outage.is_active:
        raise OutageError(f"outage {outage.id} is resolved; start a new one instead")
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise OutageError(f"cannot update {', '.join(sorted(unknown))}")
    if changes.get("state") == OutageState.RESOLVED:
        others = {key: value for key, value in changes.items() if key != "state"}
        if others:  # the last word (a closing message, say) is kept, then the outage resolves
            update_outage(session, outage, actor=actor, **others)
        return resolve_outage(session, outage, actor=actor)
    if "state" in changes and changes["state"] not in {s.value for s in ACTIVE_STATES}:
        raise OutageError(f"unknown state {changes['state']!r}")
    for message, translations in (
        ("caller_message", "caller_messages"),
        ("subscriber_message", "subscriber_messages"),
    ):
        if message in changes and translations not in changes and getattr(outage, translations):
            changes[translations] = {}  # translations of the old message would now mislead
    diff = {k: _jsonable(v) for k, v in changes.items() if getattr(outage, k) != v}
    for key, value in changes.items():
        setattr(outage, key, value)
    outage.updated_at = utcnow()
    notices.on_update(session, outage, _audit(session, outage, actor, "update", diff))
    return outage


def resolve_outage(session: Session, outage: Outage, *, actor: str) -> Outage:
    """Close an outage; calls pass through again."""
    if not outage.is_active:
        raise OutageError(f"outage {outage.id} is already resolved")
    outage.state = OutageState.RESOLVED
    outage.resolved_at = outage.updated_at = utcnow()
    resolved = _audit(session, outage, actor, "resolve", {"state": OutageState.RESOLVED.value})
    notices.on_resolve(session, outage, resolved)
    return outage


def confirm_outage(session: Session, outage: Outage, *, actor: str) -> bool:
    """A person confirms an automatic outage: its subscribers are told now.

    False when it was confirmed already (a person's own outage is confirmed as it starts).
    """
    if not outage.is_active:
        raise OutageError(f"outage {outage.id} is resolved; there is nothing left to confirm")
    return notices.confirm(session, outage, actor=actor)


REPORT_MAX_CHARS = 20_000


def publish_report(session: Session, outage: Outage, *, actor: str, report: str) -> bool:
    """Publish (or correct) the post-incident report of a resolved outage.

    The report shows on the status page and goes to the subscribers who were told of the
    outage. Publishing the same text again does nothing and returns False.
    """
    text = report.strip()
    if outage.is_active:
        raise OutageError(f"outage {outage.id} is still active; resolve it before the report")
    if not text:
        raise OutageError("the report is empty")
    if len(text) > REPORT_MAX_CHARS:
        raise OutageError(f"the report is {len(text)} characters; at most {REPORT_MAX_CHARS}")
    if text == outage.report:
        return False
    outage.report, outage.report_published_at = text, utcnow()
    published = _audit(session, outage, actor, "report", {"report": text})
    notices.on_report(session, outage, published)
    return True


def active_outages(session: Session) -> Sequence[Outage]:
    """Active outages, the most recently updated first."""
    query = select(Outage).where(Outage.state.in_([s.value for s in ACTIVE_STATES]))
    return session.scalars(query.order_by(Outage.updated_at.desc(), Outage.id.desc())).all()


def outage_at(
    session: Session, subscriber: Subscriber, moment: datetime, within: timedelta = timedelta(0)
) -> Outage | None:
    """The outage a caller to this subscriber heard at `moment` (known to `within`: Twilio gives
    times to the second), for a call nobody noted then.

    Of the outages active then that affect them, the most recently started: the order of their
    later updates is not kept, and a fresher outage is the likelier one heard.
    """
    query = select(Outage).where(
        Outage.started_at <= moment + within,
        or_(Outage.resolved_at.is_(None), Outage.resolved_at >= moment),
    )
    ordered = query.order_by(Outage.started_at.desc(), Outage.id.desc())
    return next((o for o in session.scalars(ordered) if o.affects(subscriber)), None)


def _audit(
    session: Session, outage: Outage, actor: str, action: str, changes: dict[str, Any]
) -> OutageEvent:
    entry = OutageEvent(outage=outage, actor=actor, action=action, changes=changes)
    session.add(entry)
    return entry


def _snapshot(outage: Outage) -> dict[str, Any]:
    fields = (
        "source",
        "caller_message",
        "subscriber_message",
        "caller_messages",
        "subscriber_messages",
        "etr",
        "state",
        "scope_regions",
        "scope_numbers",
        "scope_plans",
    )
    return {name: _jsonable(getattr(outage, name)) for name in fields}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
