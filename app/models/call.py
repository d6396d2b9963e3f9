"""Calls that reached Backline, one row per Twilio CallSid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Call(Base):
    __tablename__ = "calls"
    # The purge looks for calls older than the retention period whose caller is still known.
    __table_args__ = (Index("ix_calls_purged_at_created_at", "purged_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id"), index=True)
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outages.id"), index=True)
    from_number: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(100))  # when Twilio looked it up
    to_number: Mapped[str | None] = mapped_column(String(64))
    forwarded_from: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    # What Backline did with the call: "ivr", "pass-through", "voicemail", "backup", ...
    outcome: Mapped[str | None] = mapped_column(String(32))
    menu_choices: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    dial_status: Mapped[str | None] = mapped_column(String(32))  # last <Dial> result
    sip_code: Mapped[int | None]
    error_code: Mapped[str | None] = mapped_column(String(16))  # from Twilio's Fallback URL
    status: Mapped[str | None] = mapped_column(String(32))  # Twilio's CallStatus
    duration: Mapped[int | None]  # seconds, from the status callback
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]  # the caller's number and name were erased (retention)


class PrimaryFailure(Base):
    """Evidence that the primary platform is down: a failed dial or a SIP trunk's Disaster
    Recovery URL request."""

    __tablename__ = "primary_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    # "dial" or "trunk"; "fallback" rows (any Fallback URL request, before Backline told a
    # trunk's from a number's) are no longer counted
    kind: Mapped[str] = mapped_column(String(16))
    sip_code: Mapped[int | None]
    error_code: Mapped[str | None] = mapped_column(String(16))
