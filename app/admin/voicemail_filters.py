"""The voicemail list's filters, read from the query string: status, subscriber number, dates
(UTC days, both ends included) and outage. A bad value is reported, never half-applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.admin.listing import AnySelect, parse_id
from app.core.phone import InvalidNumber, normalise
from app.models import Subscriber, Voicemail, VoicemailStatus

STATUSES = [status.value for status in VoicemailStatus]
MAX_TEXT = 64


@dataclass
class VoicemailFilters:
    status: str = ""
    number: str = ""
    since: date | None = None
    until: date | None = None
    outage_id: int | None = None
    errors: list[str] = field(default_factory=list)

    def apply(self, query: AnySelect) -> AnySelect:
        """Narrow a query over voicemails to what the filters ask for."""
        if self.status:
            query = query.where(Voicemail.status == self.status)
        if self.number:
            called = select(Subscriber.id).where(Subscriber.number == self.number)
            query = query.where(Voicemail.subscriber_id.in_(called))
        if self.since:
            query = query.where(Voicemail.recorded_at >= _midnight(self.since))
        if self.until and self.until < date.max:
            query = query.where(Voicemail.recorded_at < _midnight(self.until + timedelta(days=1)))
        if self.outage_id is not None:
            query = query.where(Voicemail.outage_id == self.outage_id)
        return query

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for the next and previous page links)."""
        args = {
            "status": self.status,
            "number": self.number,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "outage": str(self.outage_id) if self.outage_id is not None else "",
        }
        return {name: value for name, value in args.items() if value}


def read_filters(args: Mapping[str, str]) -> VoicemailFilters:
    """Parse the list's query string; what cannot be read is left out and named in `errors`."""
    filters = VoicemailFilters()
    status = _text(args, "status")
    if status in STATUSES:
        filters.status = status
    elif status:
        filters.errors.append(f"Status must be one of {', '.join(STATUSES)}.")
    if number := _text(args, "number"):
        try:
            filters.number = normalise(number)
        except InvalidNumber as exc:
            filters.errors.append(f"Subscriber number: {exc}.")
    filters.since = _date(args, "from", "From", filters.errors)
    filters.until = _date(args, "to", "To", filters.errors)
    if outage := _text(args, "outage"):
        filters.outage_id = parse_id(outage)
        if filters.outage_id is None:
            filters.errors.append("Outage must be an outage number, like 12.")
    return filters


def _text(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()[:MAX_TEXT]


def _date(args: Mapping[str, str], name: str, label: str, errors: list[str]) -> date | None:
    text = _text(args, name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label} must be a date like 2026-11-22, not {text!r}.")
        return None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
