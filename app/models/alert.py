"""Alertmanager alerts Backline has seen, keyed as Alertmanager keys them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class AlertRecord(Base):
    """One alert (fingerprint, startsAt): a repeated delivery of it changes nothing."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("fingerprint", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # firing or resolved, as last seen
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outages.id"), index=True)
    ignored_reason: Mapped[str | None] = mapped_column(Text)  # acknowledged, changed nothing
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
