"""An outage's public timeline, replayed from its audit log.

Each audit entry records what changed. Replaying them in order gives what a subscriber would
have seen after each change (state, subscriber message in their language, ETR); an entry that
changed none of these (a caller message, a confirmation) leaves no trace on the page, and who
made a change is never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.models import OutageEvent
from app.status_page.reader import Reader

PUBLIC_FIELDS = ("state", "subscriber_message", "subscriber_messages", "etr")
REPORT_ACTION = "report"


@dataclass(frozen=True)
class Change:
    """One entry of an outage's timeline: when, and what subscribers were told."""

    at: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Seen:
    state: str | None = None
    message: str | None = None
    etr: datetime | None = None


def timeline(events: Sequence[OutageEvent], reader: Reader) -> list[Change]:
    """The public changes in these events (oldest first)."""
    known: dict[str, Any] = {}
    seen = _Seen()
    changes = []
    for event in events:
        known.update({k: v for k, v in (event.changes or {}).items() if k in PUBLIC_FIELDS})
        now = _seen(known, reader)
        lines = _lines(seen, now, reader)
        if event.action == REPORT_ACTION:
            lines.append("Post-incident report published.")
        if lines:
            changes.append(Change(reader.when(event.at), tuple(lines)))
        seen = now
    return changes


def _seen(known: dict[str, Any], reader: Reader) -> _Seen:
    translations = known.get("subscriber_messages")
    message = known.get("subscriber_message")
    return _Seen(
        state=known.get("state") if isinstance(known.get("state"), str) else None,
        message=reader.message(
            message if isinstance(message, str) else None,
            translations if isinstance(translations, dict) else {},
        ),
        etr=_parse_time(known.get("etr")),
    )


def _lines(before: _Seen, after: _Seen, reader: Reader) -> list[str]:
    lines = []
    if after.state and after.state != before.state:
        lines.append(f"Status: {reader.state(after.state)}.")
    if after.message and after.message != before.message:
        lines.append(after.message)
    if after.etr != before.etr:
        lines.append(
            f"Expected back by {reader.when(after.etr)}." if after.etr else "No estimate for now."
        )
    return lines


def _parse_time(value: object) -> datetime | None:
    """An ETR as the audit log keeps it (ISO 8601); anything else counts as none."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
