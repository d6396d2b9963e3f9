"""Voicemails (one per Twilio RecordingSid) and the emails that deliver them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow


class VoicemailStatus(enum.StrEnum):
    RECEIVED = "received"  # callback stored, audio not yet fetched
    STORED = "stored"  # audio converted and stored, deliveries created
    HELD = "held"  # stored, but shorter than the minimum length: listed, not emailed
    FAILED = "failed"  # could not be fetched or converted; visible to admins


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELAYED = "delayed"  # failed for a reason that is no fault of the address; retried
    SENDING = "sending"  # marked before SMTP DATA: the one duplicate window
    ACCEPTED = "accepted"  # the relay answered 250
    BOUNCED = "bounced"
    FAILED = "failed"


# A voicemail email still owed to its subscriber: it is retried until sent or erased.
OWED_STATES = (DeliveryState.PENDING, DeliveryState.DELAYED, DeliveryState.SENDING)


class Voicemail(Base):
    __tablename__ = "voicemails"
    # The purge looks for unpurged voicemails older than the retention period.
    __table_args__ = (Index("ix_voicemails_purged_at_recorded_at", "purged_at", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(34), unique=True)
    account_sid: Mapped[str] = mapped_column(String(34))
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_token: Mapped[str | None] = mapped_column(String(128), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id"), index=True)
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outages.id"), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(64))
    reported_duration: Mapped[int | None]  # seconds, as Twilio reported it
    duration_ms: Mapped[int | None]  # measured on the downloaded audio
    status: Mapped[str] = mapped_column(String(16), default=VoicemailStatus.RECEIVED, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    original_key: Mapped[str | None] = mapped_column(String(255))
    mp3_key: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    caller_name: Mapped[str | None] = mapped_column(String(100))  # Twilio's CallerName lookup
    # requested, completed or failed; None when no transcript was asked for
    transcription_status: Mapped[str | None] = mapped_column(String(16))
    transcription_text: Mapped[str | None] = mapped_column(Text)
    deleted_from_twilio_at: Mapped[datetime | None]
    # Retention (app/retention): deleting the subscriber asks for an erasure; the purge removes
    # every copy of the audio and transcript, anonymises the caller, then stamps purged_at.
    # The row stays, so counts and the audit trail survive.
    purge_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    purged_at: Mapped[datetime | None]
    purge_error: Mapped[str | None] = mapped_column(Text)  # the copies left, and why

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="voicemail", order_by="Delivery.id"
    )


class Delivery(Base):
    """One email of one voicemail to one address."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    voicemail_id: Mapped[int] = mapped_column(ForeignKey("voicemails.id"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING, index=True)
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    # A manual resend is a new delivery pointing at the one it repeats.
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), index=True)

    voicemail: Mapped[Voicemail] = relationship(back_populates="deliveries")
    attempts_made: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id"
    )


class AttemptOutcome(enum.StrEnum):
    SENDING = "sending"  # handed to the provider; the answer is not recorded yet
    ACCEPTED = "accepted"
    TRANSIENT = "transient"  # 4xx, connection trouble, throttling: retried
    PERMANENT = "permanent"  # the recipient was refused for good
    # A 5xx the provider was giving every recipient at the time ("relaying denied"): the
    # provider's problem, not the address's, so the delivery is retried (provider_health.py).
    REFUSED_ALL = "refused-all"
    INTERRUPTED = "interrupted"  # the worker died before recording the answer; resent


class DeliveryAttempt(Base):
    """One try at handing a delivery to a mail provider, with the provider's answer."""

    __tablename__ = "delivery_attempts"
    # What a provider last did (accepted, refused everyone) is looked up before every send.
    __table_args__ = (
        Index("ix_delivery_attempts_provider_outcome_at", "provider", "outcome", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), default=AttemptOutcome.SENDING)
    answer: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts_made")
