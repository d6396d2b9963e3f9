"""Outages, their scope, and the audit log of every change to them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.subscriber import Subscriber


class OutageState(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class OutageSource(enum.StrEnum):
    ADMIN = "admin"
    API = "api"
    ALERTMANAGER = "alertmanager"
    DETECTOR = "detector"


MESSAGE_LIMIT = 2000  # Twilio's <Say> reads at most 4,096 characters; a caller listens to this
ACTIVE_STATES = (OutageState.INVESTIGATING, OutageState.IDENTIFIED, OutageState.MONITORING)
PEOPLE = (OutageSource.ADMIN, OutageSource.API)


def answers_at_once(source: str, state: str) -> bool:
    """People's outages answer at once until monitoring; automatic ones only after a failed dial."""
    return source in PEOPLE and state in (OutageState.INVESTIGATING, OutageState.IDENTIFIED)


class Outage(Base):
    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default=OutageState.INVESTIGATING, index=True)
    source: Mapped[str] = mapped_column(String(20), default=OutageSource.ADMIN)
    caller_message: Mapped[str | None] = mapped_column(Text)
    subscriber_message: Mapped[str | None] = mapped_column(Text)
    # Optional translations, by language code; callers in other languages hear a template.
    caller_messages: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    subscriber_messages: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    etr: Mapped[datetime | None]
    # Scope: an empty list places no limit; different lists narrow each other.
    scope_regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_plans: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None]
    # An automatic outage tells subscribers once a person confirms it (or after
    # BACKLINE_AUTO_NOTIFY_AFTER); a person's outage is confirmed when it starts.
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    report: Mapped[str | None] = mapped_column(Text)  # the post-incident report, once published
    report_published_at: Mapped[datetime | None]

    events: Mapped[list[OutageEvent]] = relationship(
        back_populates="outage", order_by="OutageEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.state != OutageState.RESOLVED

    @property
    def answers_at_once(self) -> bool:
        """Whether affected calls go straight to the outage IVR instead of trying the primary."""
        return answers_at_once(self.source, self.state)

    @property
    def covers_everyone(self) -> bool:
        return not (self.scope_regions or self.scope_numbers or self.scope_plans)

    def affects(self, subscriber: Subscriber) -> bool:
        """Whether this outage's scope includes the subscriber."""
        return (
            (not self.scope_regions or subscriber.region in self.scope_regions)
            and (not self.scope_numbers or subscriber.number in self.scope_numbers)
            and (not self.scope_plans or subscriber.plan in self.scope_plans)
        )


class OutageEvent(Base):
    """One change to an outage: who made it, when, and what changed (the audit log)."""

    __tablename__ = "outage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    outage: Mapped[Outage] = relationship(back_populates="events")
