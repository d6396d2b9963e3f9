"""Notices: what affected subscribers are told about an outage, and every message that carries it.

A notice belongs to one change of an outage (its start, an update of the message or ETR, its
resolution, the post-incident report). Fan-out turns it into messages, one per (channel,
normalised address): a business with forty numbers and one address gets one email, which names
all forty. The unique constraint is what makes a repeated fan-out send nothing twice.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.outage import Outage, OutageEvent


class NoticeKind(enum.StrEnum):
    START = "start"
    UPDATE = "update"
    RESOLVE = "resolve"  # carries each subscriber's summary
    REPORT = "report"  # the post-incident report


class NoticeState(enum.StrEnum):
    HELD = "held"  # an automatic outage nobody has confirmed yet
    QUEUED = "queued"  # released; fan-out under way
    SENDING = "sending"  # every message exists; some are still being sent
    DONE = "done"  # nothing left to send
    CANCELLED = "cancelled"  # held, then overtaken (the alert resolved before anyone confirmed)


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a job; handed to the provider
    SENT = "sent"  # accepted by the relay or the SMS provider
    DELIVERED = "delivered"  # an SMS the carrier confirmed
    FAILED = "failed"  # the providers gave up
    REFUSED = "refused"  # final, recipient-level: opted out, unsubscribed, landline, unreachable
    # Final: by its turn to go, nothing in it was true and new any more (another outage still
    # covers its numbers, or another notice tells them); see app.coverage.
    WITHDRAWN = "withdrawn"


OPEN_MESSAGE_STATES = (MessageState.PENDING, MessageState.SENDING)


def new_random_id() -> str:
    """96 random bits, as hex: the part of a Message-ID no other message shares."""
    return secrets.token_hex(12)


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id"), index=True)
    # The audit-log entry this notice announces: one notice per change, however often asked.
    event_id: Mapped[int] = mapped_column(ForeignKey("outage_events.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=NoticeState.QUEUED, index=True)
    # What the notice says, fixed when it is released, so a resend says the same thing.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    # Fan-out walks affected subscribers by id; the last id written is committed with its chunk.
    cursor: Mapped[int] = mapped_column(default=0)
    fanned_out_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    outage: Mapped[Outage] = relationship()
    event: Mapped[OutageEvent] = relationship()
    messages: Mapped[list[NoticeMessage]] = relationship(
        back_populates="notice", order_by="NoticeMessage.id", lazy="raise_on_sql"
    )


class NoticeRange(Base):
    """One subscriber-id range of a notice's fan-out: a job any worker can take.

    `cursor` is the last subscriber id written (it moves by compare-and-set, so a job that runs
    twice repeats at most one chunk); `done_at` is set once the range is written. A notice starts
    sending when every one of its ranges is done.
    """

    __tablename__ = "notice_ranges"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    first_id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int]
    cursor: Mapped[int]
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)  # the sweeper's clue to a lost job
    done_at: Mapped[datetime | None]


class NoticeMessage(Base):
    """One notice to one address on one channel."""

    __tablename__ = "notice_messages"
    __table_args__ = (
        UniqueConstraint("notice_id", "channel", "address"),
        # id last: a send job claims one id range of its notice's pending messages
        Index(
            "ix_notice_messages_notice_id_channel_state_id", "notice_id", "channel", "state", "id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))  # lower-cased email, or E.164
    subscriber_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=MessageState.PENDING)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(255), index=True)  # SID, Message-ID
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Twilio reported it undelivered and it went once more through the second provider.
    retried_on_fallback: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The random part of its email's Message-ID, fixed when the row is made: a resend keeps the
    # ID, and no other installation (staging, a restored backup) can send another under it.
    random_id: Mapped[str | None] = mapped_column(String(32), default=new_random_id)
    claimed_at: Mapped[datetime | None]  # when a job marked it sending: the lease starts
    sent_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="messages")


class MessageRow(Protocol):
    """A notice message as a batch reads it: a row's values (a NoticeMessage is one too), so a
    batch can read thousands without the ORM tracking each."""

    @property
    def id(self) -> int: ...
    @property
    def notice_id(self) -> int: ...
    @property
    def address(self) -> str: ...
    @property
    def subscriber_ids(self) -> list[int]: ...
    @property
    def language(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def random_id(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def provider_id(self) -> str | None: ...


class OptOut(Base):
    """An address that must get no more notices: unsubscribed, or opted out at a provider.

    Voicemail emails ignore this table: a subscriber never loses their messages by unsubscribing.
    """

    __tablename__ = "opt_outs"

    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # "unsubscribe-link", "twilio", "sns", ...
    at: Mapped[datetime] = mapped_column(default=utcnow)
