"""Overlapping outages: what is true for one subscriber when one outage ends.

Every notice must be true for its recipient when it is sent. A subscriber's *time in outage*
runs from the start of the first outage that covers them to the end of the last one: outages
that cover them and overlap in time chain into one stretch. Hence:

- Only the resolution that ends the stretch (its outage resolved last) may say service is back,
  and only to a subscriber who was told of some outage of the stretch. Its summary counts every
  call of the stretch once: each call belongs to the one outage its caller heard.
- A resolution inside the stretch names the announced outages that still cover the subscriber,
  and summarises nothing yet. When none of those was announced (an automatic outage nobody has
  confirmed: it may be a false alarm), it says nothing at all; that outage's own end, or its
  confirmation, settles it later.
- Every active outage counts, whatever its source or state: an Alertmanager or detector outage,
  or one in `monitoring`, can still send callers to the outage line.

Which outages exist is read when a notice is fanned out and again when each message is sent, so
an outage that starts or ends in between changes what the message says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import Outage

FOREVER = datetime.max.replace(tzinfo=UTC)
# Why a notice message was withdrawn instead of sent (MessageState.WITHDRAWN).
NOTHING_TRUE = "withdrawn: other outages still cover its numbers, or another notice tells them"


@dataclass(frozen=True)
class Place:
    """What an outage's scope looks at: a subscriber's number, region and plan."""

    number: str
    region: str | None
    plan: str | None


@dataclass(frozen=True)
class Standing:
    """One subscriber, as one outage's resolution finds them."""

    summarised: tuple[int, ...] = ()  # the stretch's outages, when this resolution ends it
    since: datetime | None = None  # when the stretch began
    still: tuple[Outage, ...] = ()  # announced active outages that still cover them
    covered: bool = False  # some active outage (announced or not) still covers them

    @property
    def back(self) -> bool:
        """Their time in outage is over and nothing covers them: service is back."""
        return bool(self.summarised) and not self.covered

    @property
    def silent(self) -> bool:
        """Nothing both true and new can be said to them now."""
        return not self.summarised and not self.still


def covers(outage: Outage, place: Place) -> bool:
    """Whether the outage's scope includes this subscriber (the rule of Outage.affects)."""
    return (
        (not outage.scope_regions or place.region in outage.scope_regions)
        and (not outage.scope_numbers or place.number in outage.scope_numbers)
        and (not outage.scope_plans or place.plan in outage.scope_plans)
    )


def is_announced(outage: Outage) -> bool:
    """Whether subscribers were told of the outage (a person's, or a confirmed automatic one)."""
    return outage.confirmed_at is not None


class Coverage:
    """One outage and every outage that may overlap it, with each subscriber's standing."""

    def __init__(self, outage: Outage, outages: Sequence[Outage]) -> None:
        self.outage = outage
        self.outages = [outage, *(other for other in outages if other.id != outage.id)]
        self._standings: dict[tuple[int, ...], Standing] = {}

    def covering(self, place: Place) -> list[Outage]:
        """The outages of this set that cover the subscriber (this one first)."""
        return [outage for outage in self.outages if covers(outage, place)]

    def still(self, place: Place) -> tuple[Outage, ...]:
        """The announced active outages, other than this one, that cover the subscriber."""
        return self._active(self.covering(place), announced=True)

    def standing(self, place: Place) -> Standing:
        """What this outage's resolution may tell the subscriber (worked out once per scope)."""
        covering = self.covering(place)
        key = tuple(outage.id for outage in covering)
        if key not in self._standings:
            self._standings[key] = self._standing(covering)
        return self._standings[key]

    def _standing(self, covering: list[Outage]) -> Standing:
        stretch = _stretch(self.outage, covering)
        last = max(stretch, key=lambda outage: (_end(outage), outage.id))
        ends_here = last.id == self.outage.id and any(map(is_announced, stretch))
        return Standing(
            summarised=tuple(sorted(outage.id for outage in stretch)) if ends_here else (),
            since=min(outage.started_at for outage in stretch),
            still=self._active(covering, announced=True),
            covered=bool(self._active(covering, announced=False)),
        )

    def _active(self, covering: list[Outage], *, announced: bool) -> tuple[Outage, ...]:
        return tuple(
            outage
            for outage in covering
            if outage.id != self.outage.id
            and outage.is_active
            and (is_announced(outage) or not announced)
        )


def load_coverage(session: Session, outage: Outage) -> Coverage:
    """The outage and every outage that is active or overlaps it, directly or through others."""
    since = outage.started_at
    while True:
        query = select(Outage).where(or_(Outage.resolved_at.is_(None), Outage.resolved_at >= since))
        outages = session.scalars(query.order_by(Outage.id)).all()
        earliest = min((other.started_at for other in outages), default=since)
        if earliest >= since:
            return Coverage(outage, outages)
        since = earliest


def _stretch(outage: Outage, covering: list[Outage]) -> list[Outage]:
    """The outages chained to this one in time, among those that cover one subscriber."""
    stretch = [outage]
    start, end = outage.started_at, _end(outage)
    grown = True
    while grown:
        grown = False
        for other in covering:
            if other in stretch or other.started_at > end or _end(other) < start:
                continue
            stretch.append(other)
            start, end = min(start, other.started_at), max(end, _end(other))
            grown = True
    return stretch


def _end(outage: Outage) -> datetime:
    return outage.resolved_at or FOREVER
