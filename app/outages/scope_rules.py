"""Whom an outage's scope reaches, and when a scope is refused: the rule every interface shares.

Every subscriber is an explicit choice (`--all`, `"scope": "all"`, the admin form's "Every
subscriber" box, the alert label backline_scope="all"), never what an empty scope falls into:
a forgotten option must not email and text everyone. A scope that matches no subscriber is most
often a typo (`--region us-wst`), so it is refused with the regions and plans that exist, unless
the person forces it (a number about to be imported). Each interface words the fix its own way;
the facts come from here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Subscriber
from app.outages.affected import affected_count
from app.outages.lifecycle import Scope, draft_outage

MAX_SHOWN = 30  # values named in a refusal; a typo is found among a few, not thousands
MAX_DESCRIBED = 5  # of a scope's own values, beyond which they are counted


def existing_values(session: Session, column: InstrumentedAttribute[str | None]) -> list[str]:
    """The distinct values subscribers have in `column` (region or plan), sorted."""
    query = select(column).where(column.is_not(None), column != "").distinct().order_by(column)
    return [value for value in session.scalars(query) if value]


def scope_count(session: Session, scope: Scope) -> int:
    """How many subscribers an outage with this scope would affect, before it exists.

    A draft outage carries the scope so the count uses the very rule a started one will.
    """
    return affected_count(session, draft_outage(scope=scope))


def nobody_matches(session: Session, scope: Scope) -> str | None:
    """A sentence saying this scope reaches no subscriber, naming the regions and plans that
    exist; None when it reaches someone (or is everyone)."""
    if scope.covers_everyone or scope_count(session, scope) > 0:
        return None
    return f"No subscriber matches {describe(scope)}. {what_exists(session)}"


def what_exists(session: Session) -> str:
    """The regions and plans subscribers have, as a sentence, to find a typo in."""
    regions = _listed(existing_values(session, Subscriber.region))
    plans = _listed(existing_values(session, Subscriber.plan))
    return f"Regions that exist: {regions}. Plans that exist: {plans}."


def describe(scope: Scope) -> str:
    """The scope in words: `region us-wst and plan gold`, `numbers +1… or +1…`."""
    parts = []
    for kind, values in (
        ("region", scope.regions),
        ("number", scope.numbers),
        ("plan", scope.plans),
    ):
        ordered = sorted(set(values))
        if len(ordered) > MAX_DESCRIBED:
            parts.append(f"any of {len(ordered)} {kind}s")
        elif ordered:
            noun = kind if len(ordered) == 1 else f"{kind}s"
            parts.append(f"{noun} {' or '.join(ordered)}")
    return " and ".join(parts) or "every subscriber"


def _listed(values: list[str]) -> str:
    if not values:
        return "none"
    shown = ", ".join(values[:MAX_SHOWN])
    more = len(values) - MAX_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
