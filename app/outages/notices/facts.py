"""What a notice says to one address: the numbers it covers, what is true for each of them now
that other outages may still cover them (see app.coverage), and, on resolve, their summary.

Loaded for a whole batch of messages at once (a few queries, not a few per message), because a
resolve notice to 100,000 subscribers must not cost 200,000 round trips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Call, Notice, NoticeKind, Subscriber, Voicemail, VoicemailStatus
from app.outages.coverage import Place, Standing, load_coverage

# Calls that reached the outage line; "backup-accepted" reached a person and is not missed.
OUTAGE_LINE_OUTCOMES = ("ivr", "backup", "voicemail")
# The notices whose words depend on the other outages that still cover their recipients.
OVERLAP_AWARE = (NoticeKind.RESOLVE, NoticeKind.REPORT)


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
    """One subscriber's calls during their time in outage."""

    voicemails: list[VoicemailLine] = field(default_factory=list)
    missed: list[MissedCall] = field(default_factory=list)


@dataclass
class BatchFacts:
    numbers: dict[int, str]
    summaries: dict[int, Summary]
    standings: dict[int, Standing] = field(default_factory=dict)  # resolve and report notices

    def numbers_of(self, subscriber_ids: Iterable[int]) -> list[str]:
        return [self.numbers[i] for i in subscriber_ids if i in self.numbers]

    def standing_of(self, subscriber_id: int) -> Standing:
        """What is true for this subscriber (nothing, for a start or an update notice)."""
        return self.standings.get(subscriber_id) or Standing()

    def audience(self, kind: str, subscriber_ids: Iterable[int]) -> list[int]:
        """The numbers a message may speak of: on resolve, those it has something true to say to."""
        known = [i for i in subscriber_ids if i in self.numbers]
        if kind != NoticeKind.RESOLVE:
            return known
        return [i for i in known if not self.standing_of(i).silent]

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


def load_facts(session: Session, notice: Notice, subscriber_ids: set[int]) -> BatchFacts:
    """Numbers (and, for resolve and report notices, standings and summaries) of a batch."""
    rows = session.execute(
        select(Subscriber.id, Subscriber.number, Subscriber.region, Subscriber.plan).where(
            Subscriber.id.in_(subscriber_ids)
        )
    ).all()
    facts = BatchFacts({row.id: row.number for row in rows}, {})
    if notice.kind in OVERLAP_AWARE:
        coverage = load_coverage(session, notice.outage)
        places = {row.id: Place(row.number, row.region, row.plan) for row in rows}
        facts.standings = {i: coverage.standing(place) for i, place in places.items()}
    if notice.kind == NoticeKind.RESOLVE:
        facts.summaries = _summaries(session, facts.standings)
    return facts


def _summaries(session: Session, standings: dict[int, Standing]) -> dict[int, Summary]:
    """Each subscriber's calls over the stretch their summary covers, each call counted once."""
    stretches = {i: set(s.summarised) for i, s in standings.items() if s.summarised}
    outage_ids = set().union(*stretches.values()) if stretches else set()
    if not outage_ids:
        return {}
    summaries: dict[int, Summary] = {}
    recorded_calls: set[str] = set()
    voicemails = session.execute(
        select(
            Voicemail.subscriber_id,
            Voicemail.outage_id,
            Voicemail.call_sid,
            Voicemail.caller_number,
            Voicemail.recorded_at,
            Voicemail.duration_ms,
        ).where(
            Voicemail.outage_id.in_(outage_ids),
            Voicemail.subscriber_id.in_(stretches),
            Voicemail.status != VoicemailStatus.FAILED,
        )
    ).all()
    for row in voicemails:
        recorded_calls.add(row.call_sid)
        if row.outage_id in stretches[row.subscriber_id]:
            line = VoicemailLine(row.caller_number, row.recorded_at, row.duration_ms)
            summaries.setdefault(row.subscriber_id, Summary()).voicemails.append(line)
    calls = session.execute(
        select(
            Call.subscriber_id, Call.outage_id, Call.call_sid, Call.from_number, Call.created_at
        ).where(
            Call.outage_id.in_(outage_ids),
            Call.subscriber_id.in_(stretches),
            Call.outcome.in_(OUTAGE_LINE_OUTCOMES),
        )
    ).all()
    for call in calls:
        if call.call_sid not in recorded_calls and call.outage_id in stretches[call.subscriber_id]:
            missed = MissedCall(call.from_number, call.created_at)
            summaries.setdefault(call.subscriber_id, Summary()).missed.append(missed)
    return summaries
