"""Plain, immutable copies of subscribers and outages: what the snapshot cache holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from app.models import Outage, Subscriber, answers_at_once


@dataclass(frozen=True)
class SubscriberEntry:
    id: int
    number: str
    name: str | None = None
    region: str | None = None
    plan: str | None = None
    backup_number: str | None = None
    timezone: str | None = None
    language: str | None = None

    @classmethod
    def of(cls, row: Subscriber) -> SubscriberEntry:
        return cls(
            row.id,
            row.number,
            row.name,
            row.region,
            row.plan,
            row.backup_number,
            row.timezone,
            row.language,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubscriberEntry:
        return cls(**data)


@dataclass(frozen=True)
class OutageEntry:
    id: int
    state: str
    source: str
    updated_at: datetime
    caller_message: str | None = None
    caller_messages: dict[str, str] = field(default_factory=dict)
    etr: datetime | None = None
    scope_regions: tuple[str, ...] = ()
    scope_numbers: tuple[str, ...] = ()
    scope_plans: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Outage) -> OutageEntry:
        return cls(
            id=row.id,
            state=row.state,
            source=row.source,
            updated_at=row.updated_at,
            caller_message=row.caller_message,
            caller_messages=dict(row.caller_messages or {}),
            etr=row.etr,
            scope_regions=tuple(row.scope_regions),
            scope_numbers=tuple(row.scope_numbers),
            scope_plans=tuple(row.scope_plans),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat()
        data["etr"] = self.etr.isoformat() if self.etr else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutageEntry:
        values = dict(data)
        values["updated_at"] = datetime.fromisoformat(values["updated_at"])
        values["etr"] = datetime.fromisoformat(values["etr"]) if values["etr"] else None
        for name in ("scope_regions", "scope_numbers", "scope_plans"):
            values[name] = tuple(values[name])
        return cls(**values)

    @property
    def answers_at_once(self) -> bool:
        return answers_at_once(self.source, self.state)

    @property
    def covers_everyone(self) -> bool:
        return not (self.scope_regions or self.scope_numbers or self.scope_plans)

    def affects(self, subscriber: SubscriberEntry) -> bool:
        return (
            (not self.scope_regions or subscriber.region in self.scope_regions)
            and (not self.scope_numbers or subscriber.number in self.scope_numbers)
            and (not self.scope_plans or subscriber.plan in self.scope_plans)
        )

    def caller_message_in(self, language: str, default_language: str) -> str | None:
        """The caller message in this language, or None when only a template can say it."""
        if language in self.caller_messages:
            return self.caller_messages[language]
        return self.caller_message if language == default_language else None


def outage_heard(
    outages: list[OutageEntry], subscriber: SubscriberEntry | None
) -> OutageEntry | None:
    """The most recently updated outage affecting the subscriber (outages come newest first).

    A caller to a number Backline does not know hears only an outage that covers everyone.
    """
    for outage in outages:
        if outage.affects(subscriber) if subscriber else outage.covers_everyone:
            return outage
    return None
