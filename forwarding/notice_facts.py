"""What a notice says to one address: the numbers it covers and, on resolve, their summary.

Loaded for a whole batch of messages at once (a few queries, not a few per message), because a
resolve notice to 100,000 subscribers must not cost 200,000 round trips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Call, Subscriber, Voicemail, VoicemailStatus

# Calls that reached the outage line; "backup-accepted" reached a person and is not missed.
OUTAGE_LINE_OUTCOMES = ("ivr", "backup", "voicemail")


@dataclass(frozen=True)
class VoicemailLine:
    caller: str | None
    at: datetime
    duration_ms: int | None


@dataclass(frozen=True)
class MissedCall:
    caller: str | None
    at: datetime


@dataclass
class Summary:
    """One subscriber's calls during an outage."""

    voicemails: list[VoicemailLine] = field(default_factory=list)
    missed: list[MissedCall] = field(default_factory=list)


@dataclass
class BatchFacts:
    numbers: dict[int, str]
    summaries: dict[int, Summary]

    def numbers_of(self, subscriber_ids: Iterable[int]) -> list[str]:
        return [self.numbers[i] for i in subscriber_ids if i in self.numbers]

    def summary_of(self, subscriber_ids: Iterable[int]) -> Summary:
        """The combined summary of several numbers sharing one address, oldest call first."""
        combined = Summary()
        for subscriber_id in subscriber_ids:
            one = self.summaries.get(subscriber_id)
            if one:
                combined.voicemails.extend(one.voicemails)
                combined.missed.extend(one.missed)
        combined.voicemails.sort(key=lambda line: line.at)
        combined.missed.sort(key=lambda line: line.at)
        return combined


def load_facts(
    session: Session, outage_id: int, subscriber_ids: set[int], with_summary: bool
) -> BatchFacts:
    """Numbers (and, for a resolve notice, summaries) of every subscriber in a batch."""
    numbers = dict(
        session.execute(
            select(Subscriber.id, Subscriber.number).where(Subscriber.id.in_(subscriber_ids))
        ).all()
    )
    summaries = _summaries(session, outage_id, subscriber_ids) if with_summary else {}
    return BatchFacts(numbers, summaries)


def _summaries(session: Session, outage_id: int, subscriber_ids: set[int]) -> dict[int, Summary]:
    summaries: dict[int, Summary] = {}
    recorded_calls: set[str] = set()
    voicemails = session.execute(
        select(
            Voicemail.subscriber_id,
            Voicemail.call_sid,
            Voicemail.caller_number,
            Voicemail.recorded_at,
            Voicemail.duration_ms,
        ).where(
            Voicemail.outage_id == outage_id,
            Voicemail.subscriber_id.in_(subscriber_ids),
            Voicemail.status != VoicemailStatus.FAILED,
        )
    ).all()
    for row in voicemails:
        recorded_calls.add(row.call_sid)
        line = VoicemailLine(row.caller_number, row.recorded_at, row.duration_ms)
        summaries.setdefault(row.subscriber_id, Summary()).voicemails.append(line)
    calls = session.execute(
        select(Call.subscriber_id, Call.call_sid, Call.from_number, Call.created_at).where(
            Call.outage_id == outage_id,
            Call.subscriber_id.in_(subscriber_ids),
            Call.outcome.in_(OUTAGE_LINE_OUTCOMES),
        )
    ).all()
    for call in calls:
        if call.call_sid not in recorded_calls:
            missed = MissedCall(call.from_number, call.created_at)
            summaries.setdefault(call.subscriber_id, Summary()).missed.append(missed)
    return summaries
