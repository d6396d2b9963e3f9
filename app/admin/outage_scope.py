"""Outage scopes on the admin pages: a short line saying whom an outage covers."""

from __future__ import annotations

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
