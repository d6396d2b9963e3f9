"""What an outage's reminder must say about the other active outages that cover its subscribers.

Callers hear the most recently updated outage that covers the number they dial, so an outage
that another, fresher one overlaps is not what all its callers hear; and resolving it tells
subscribers that another outage still covers nothing about service being back (app.coverage).
A reminder that left this out would not be true for the admin who reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Outage, Subscriber
from app.outages.affected import scope_conditions
from app.outages.coverage import Place, covers


@dataclass(frozen=True)
class Overlaps:
    """An outage's subscribers, by the outage their callers hear and the others covering them."""

    subscribers: int
    heard: Counter[int] = field(default_factory=Counter)  # outage id -> subscribers who hear it
    also: Counter[int] = field(default_factory=Counter)  # other outage id -> subscribers it covers


def overlaps_of(session: Session, outage: Outage, active: Sequence[Outage]) -> Overlaps:
    """Count, over the outage's subscribers, what `active` (freshest first) means for them."""
    others = [other for other in active if other.id != outage.id]
    rows = session.execute(
        select(Subscriber.number, Subscriber.region, Subscriber.plan).where(
            *scope_conditions(outage)
        )
    )
    heard: Counter[int] = Counter()
    also: Counter[int] = Counter()
    total = 0
    for row in rows:
        place = Place(row.number, row.region, row.plan)
        total += 1
        covering = [other for other in others if covers(other, place)]
        also.update(other.id for other in covering)
        fresher = [other for other in covering if _fresher(other, outage)]
        heard[fresher[0].id if fresher else outage.id] += 1
    return Overlaps(total, heard, also)


def overlap_lines(outage: Outage, overlaps: Overlaps) -> list[str]:
    """Sentences for the reminder: whom its callers hear, and whom resolving it leaves out."""
    total = overlaps.subscribers
    lines = [f"Callers of {overlaps.heard[outage.id]} of its {total} subscriber(s) hear it."]
    lines += [
        f"Callers of {count} of its {total} subscriber(s) hear outage {other} instead "
        "(updated more recently)."
        for other, count in sorted(overlaps.heard.items())
        if other != outage.id
    ]
    lines += [
        f"Resolving it tells no one that service is back while another outage covers them: "
        f"outage {other} still covers {count} of its subscribers."
        for other, count in sorted(overlaps.also.items())
    ]
    return lines


def _fresher(other: Outage, outage: Outage) -> bool:
    """Whether callers covered by both hear `other` (the order of app.outages.lifecycle.active_outages)."""
    return (other.updated_at, other.id) > (outage.updated_at, outage.id)
