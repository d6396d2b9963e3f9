"""The email that reminds ADMIN_EMAIL an outage needs an update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage

from app.models import Outage
from forwarding.admin_email import admin_message

STALE = "stale"  # no update for BACKLINE_REMINDER_AFTER_MINUTES
ETR_PASSED = "etr-passed"


def compose_reminder(
    outage: Outage,
    conditions: list[str],
    now: datetime,
    admin: str,
    mail_from: str,
    overlaps: Sequence[str] = (),
) -> EmailMessage:
    """A plain-text reminder naming the outage, its age, its ETR and the commands that update it.

    `overlaps` are the sentences about other active outages covering its subscribers.
    """
    since_update = how_long(now - outage.updated_at)
    reasons = []
    if STALE in conditions:
        reasons.append(f"no update for {since_update}")
    if ETR_PASSED in conditions:
        reasons.append("its ETR has passed")
    return admin_message(
        f"Outage {outage.id} needs an update: {' and '.join(reasons)}",
        _text(outage, now, since_update, overlaps),
        f"outage-reminder.{outage.id}.{'.'.join(conditions)}.{int(outage.updated_at.timestamp())}",
        admin,
        mail_from,
        date=now,
    )


def _text(outage: Outage, now: datetime, since_update: str, overlaps: Sequence[str]) -> str:
    return "\n".join(
        [
            f"Outage {outage.id} is still {outage.state}, and its subscribers are still given",
            f"what it said {since_update} ago. Post an update, or resolve it if it is over.",
            "",
            *overlaps,
            *([""] if overlaps else []),
            f"Outage:       {outage.id} ({outage.state}, opened by {outage.source})",
            f"Affects:      {_scope(outage)}",
            f"Started:      {_when(outage.started_at)}",
            f"Last update:  {_when(outage.updated_at)} ({since_update} ago)",
            f"ETR:          {_etr(outage, now)}",
            f"Message:      {outage.subscriber_message or '-'}",
            "",
            "Post an update (the ETR is an ISO 8601 time, UTC unless it has an offset):",
            f'    backline outage update {outage.id} --message "What is happening now" '
            f"--eta {now + timedelta(hours=2):%Y-%m-%dT%H:00Z}",
            "Once the primary is back:",
            f"    backline outage update {outage.id} --state monitoring",
            f"    backline outage resolve {outage.id}",
            "",
        ]
    )


def how_long(span: timedelta) -> str:
    """A span of time in words, to the minute: "1 hour 5 minutes"."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words[:2]) or "less than a minute"


def _etr(outage: Outage, now: datetime) -> str:
    if outage.etr is None:
        return "none given"
    if outage.etr <= now:
        return f"{_when(outage.etr)} (passed {how_long(now - outage.etr)} ago)"
    return f"{_when(outage.etr)} (in {how_long(outage.etr - now)})"


def _scope(outage: Outage) -> str:
    if outage.covers_everyone:
        return "every subscriber"
    parts = [
        f"{label} {_listed(values)}"
        for label, values in (
            ("regions", outage.scope_regions),
            ("numbers", outage.scope_numbers),
            ("plans", outage.scope_plans),
        )
        if values
    ]
    return "; ".join(parts)


def _listed(values: list[str], most: int = 5) -> str:
    shown = ", ".join(values[:most])
    return shown if len(values) <= most else f"{shown} and {len(values) - most} more"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
