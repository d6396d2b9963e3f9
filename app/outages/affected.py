"""Whom an outage's scope covers, as database queries (the same rule as Outage.affects)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from app.models import Outage, Subscriber


def affected_subscribers(outage: Outage) -> Select[Any]:
    """A query for the subscribers the outage's scope covers (the same rule as Outage.affects)."""
    return select(Subscriber).where(*scope_conditions(outage))


def scope_conditions(outage: Outage) -> list[ColumnElement[bool]]:
    """The WHERE conditions that select the outage's subscribers; none for everyone."""
    conditions: list[ColumnElement[bool]] = []
    if outage.scope_regions:
        conditions.append(Subscriber.region.in_(outage.scope_regions))
    if outage.scope_numbers:
        conditions.append(Subscriber.number.in_(outage.scope_numbers))
    if outage.scope_plans:
        conditions.append(Subscriber.plan.in_(outage.scope_plans))
    return conditions


def affected_count(session: Session, outage: Outage) -> int:
    """How many subscribers the outage affects, counted in the database."""
    subquery = affected_subscribers(outage).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def affected_by_any(session: Session, outages: Sequence[Outage]) -> int:
    """How many subscribers at least one of the outages affects (each counted once)."""
    if not outages:
        return 0
    scopes = [and_(true(), *scope_conditions(outage)) for outage in outages]
    query = select(func.count()).select_from(Subscriber).where(or_(*scopes))
    return int(session.scalar(query) or 0)
