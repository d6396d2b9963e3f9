"""Outage scopes on the admin pages: whom an outage covers, in a table cell or a sentence."""

from __future__ import annotations

from app.core.phone import display
from app.models import Outage


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


def scope_phrase(outage: Outage) -> str:
    """Whom the outage covers, to end a sentence: "region us-west and plan pro"."""
    parts = [
        _named("region", outage.scope_regions),
        _named("plan", outage.scope_plans),
        _numbers(outage.scope_numbers),
    ]
    return " and ".join(part for part in parts if part) or "every subscriber"


def _named(kind: str, values: list[str] | None) -> str:
    if not values:
        return ""
    return f"{kind}{'' if len(values) == 1 else 's'} {', '.join(values)}"


def _numbers(numbers: list[str] | None) -> str:
    if not numbers:
        return ""
    return f"number {display(numbers[0])}" if len(numbers) == 1 else f"{len(numbers)} numbers"
