"""Outage scopes on the admin pages: the choices the picker offers and who a scope would reach."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Outage
from app.outages import Scope, affected_count


def scope_choices(session: Session, column: InstrumentedAttribute[str | None]) -> list[str]:
    """The distinct values subscribers have in `column` (region or plan), sorted."""
    query = select(column).where(column.is_not(None), column != "").distinct().order_by(column)
    return [value for value in session.scalars(query) if value]


def scope_count(session: Session, scope: Scope) -> int:
    """How many subscribers an outage with this scope would affect, before it exists.

    A transient Outage carries the scope so the count uses the very rule a started one will.
    """
    draft = Outage(
        scope_regions=sorted(set(scope.regions)),
        scope_numbers=sorted(set(scope.numbers)),
        scope_plans=sorted(set(scope.plans)),
    )
    return affected_count(session, draft)


def scope_summary(outage: Outage) -> str:
    """A short line saying whom the outage covers, for tables."""
    parts = []
    if outage.scope_regions:
        parts.append("regions " + ", ".join(outage.scope_regions))
    if outage.scope_plans:
        parts.append("plans " + ", ".join(outage.scope_plans))
    if outage.scope_numbers:
        count = len(outage.scope_numbers)
        parts.append(f"{count} number{'' if count == 1 else 's'}")
    return " · ".join(parts) or "everyone"
