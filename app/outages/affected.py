"""Whom an outage's scope covers, as database queries (the same rule as Outage.affects)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
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
