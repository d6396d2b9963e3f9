"""What a subscriber's status page shows: the outages that affect them, as plain values.

Everything is read from the database here, in one go, so the templates never touch it (a
database that fails half-way fails here, where the view turns it into a 503). Only what
subscribers are meant to see leaves this module: state, subscriber message, ETR, times and the
published report; never who made a change, the caller message or the scope.

With overlapping outages the page never reads as restored while an outage still covers a number:
a resolved outage names the numbers still affected by another, and an automatic outage nobody
has confirmed (never shown itself) keeps the page from saying that nothing is wrong.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from app.core.phone import display
from app.models import Outage, OutageEvent, OutageState, Subscriber, utcnow
from app.models.outage import PEOPLE
from app.outages.coverage import is_announced
from app.outages.lifecycle import active_outages
from app.security.links import StatusClaim
from app.status_page.reader import Reader
from app.status_page.timeline import Change, timeline

RECENT = timedelta(days=90)


@dataclass(frozen=True)
class OutageView:
    state: str
    active: bool
    message: str | None
    etr: str | None
    etr_passed: bool
    started: str
    resolved: str | None
    numbers: tuple[str, ...]
    timeline: tuple[Change, ...]
    report: tuple[str, ...]  # paragraphs
    still_affected: tuple[str, ...] = ()  # resolved, but another active outage covers these


@dataclass(frozen=True)
class StatusView:
    numbers: tuple[str, ...]
    current: tuple[OutageView, ...]
    recent: tuple[OutageView, ...]
    checking: tuple[str, ...] = ()  # numbers only an unconfirmed automatic outage covers


def live_subscribers(session: Session, claim: StatusClaim) -> list[Subscriber]:
    """The link's subscribers that still exist and whose links were not revoked after it."""
    query = select(Subscriber).where(Subscriber.id.in_(claim.subscriber_ids))
    return [
        row
        for row in session.scalars(query.order_by(Subscriber.id))
        if row.status_links_revoked_at is None or row.status_links_revoked_at <= claim.issued_at
    ]


def status_view(session: Session, subscribers: Sequence[Subscriber]) -> StatusView:
    """The outages affecting these subscribers: active ones, and those resolved lately."""
    reader = Reader.of(subscribers)
    outages = [o for o in session.scalars(_announced_lately()) if _affected(o, subscribers)]
    events = _events_of(session, [outage.id for outage in outages])
    active = [o for o in active_outages(session) if _affected(o, subscribers)]
    covered = {s.id for o in active for s in _affected(o, subscribers)}
    told = {s.id for o in active if is_announced(o) for s in _affected(o, subscribers)}
    views = [_outage_view(o, events[o.id], subscribers, reader, covered) for o in outages]
    return StatusView(
        numbers=tuple(display(s.number) for s in subscribers),
        current=tuple(view for view in views if view.active),
        recent=tuple(view for view in views if not view.active),
        checking=tuple(display(s.number) for s in subscribers if s.id in covered - told),
    )


def _announced_lately() -> Select[Outage]:
    """Outages subscribers were told of: people's, and automatic ones someone confirmed."""
    return (
        select(Outage)
        .where(
            or_(Outage.confirmed_at.is_not(None), Outage.source.in_([s.value for s in PEOPLE])),
            or_(Outage.state != OutageState.RESOLVED, Outage.resolved_at >= utcnow() - RECENT),
        )
        .order_by(Outage.started_at.desc(), Outage.id.desc())
    )


def _affected(outage: Outage, subscribers: Sequence[Subscriber]) -> list[Subscriber]:
    return [subscriber for subscriber in subscribers if outage.affects(subscriber)]


def _events_of(session: Session, outage_ids: list[int]) -> dict[int, list[OutageEvent]]:
    events: dict[int, list[OutageEvent]] = defaultdict(list)
    if outage_ids:
        query = select(OutageEvent).where(OutageEvent.outage_id.in_(outage_ids))
        for event in session.scalars(query.order_by(OutageEvent.at, OutageEvent.id)):
            events[event.outage_id].append(event)
    return events


def _outage_view(
    outage: Outage,
    events: list[OutageEvent],
    subscribers: Sequence[Subscriber],
    reader: Reader,
    covered: set[int],
) -> OutageView:
    active = outage.is_active
    affected = _affected(outage, subscribers)
    published = bool(outage.report and outage.report_published_at)
    return OutageView(
        state=reader.state(outage.state),
        active=active,
        message=reader.message(outage.subscriber_message, outage.subscriber_messages),
        etr=reader.when(outage.etr) if active and outage.etr else None,
        etr_passed=bool(outage.etr and outage.etr < utcnow()),
        started=reader.when(outage.started_at),
        resolved=reader.when(outage.resolved_at) if outage.resolved_at else None,
        numbers=tuple(display(s.number) for s in affected),
        timeline=tuple(reversed(timeline(events, reader))),
        report=_paragraphs(outage.report) if published and outage.report else (),
        still_affected=()
        if active
        else tuple(display(s.number) for s in affected if s.id in covered),
    )


def _paragraphs(text: str) -> tuple[str, ...]:
    """The report's paragraphs (blank lines between them); lines within one are kept."""
    return tuple(p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip())
