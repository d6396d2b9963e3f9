"""What /metrics reads from the database: a handful of aggregate queries, cheap by design.

The counts are the same whichever process is scraped (gunicorn runs several), because they come
from the database rather than from counters in one process. Latencies look only at the most
recent voicemails and deliveries (by primary key), so their cost does not grow with the tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import OWED_STATES, Call, Delivery, Voicemail, VoicemailStatus, utcnow
from app.twilio.fallback_requests import error_code, is_own_webhook_failure

LATENCY_WINDOW = timedelta(hours=1)
LATENCY_SAMPLE = 1000  # at most this many of the newest rows are looked at
QUANTILES = (0.5, 0.9, 0.99, 1.0)


@dataclass(frozen=True)
class DatabaseFigures:
    calls_by_outcome: dict[str, int]
    own_webhook_failures: dict[str, int]  # Twilio error code -> calls that reached the Fallback URL
    voicemails_by_status: dict[str, int]
    deliveries_by_state: dict[str, int]
    oldest_unprocessed_voicemail_s: float
    oldest_waiting_delivery_s: float
    # seconds from the recording to each step, for voicemails that reached it within the window
    latencies: dict[str, list[float]]


def read_figures(engine: Engine) -> DatabaseFigures:
    """Read every figure in one short session of its own (no app context needed)."""
    now = utcnow()
    with Session(engine) as session:
        return DatabaseFigures(
            calls_by_outcome=_counts(session, Call.outcome),
            own_webhook_failures=_own_webhook_failures(session),
            voicemails_by_status=_counts(session, Voicemail.status),
            deliveries_by_state=_counts(session, Delivery.state),
            oldest_unprocessed_voicemail_s=_age(
                session, Voicemail.recorded_at, Voicemail.status == VoicemailStatus.RECEIVED, now
            ),
            oldest_waiting_delivery_s=_age(
                session,
                Delivery.created_at,
                Delivery.state.in_(OWED_STATES),
                now,
            ),
            latencies={
                "stored": _stored_latencies(session, now),
                "email_accepted": _accepted_latencies(session, now),
            },
        )


def quantile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank quantile of values sorted in ascending order (q=1 is the maximum)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _counts(session: Session, column: InstrumentedAttribute[Any]) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column))
    return {str(value or "unknown"): int(count) for value, count in rows}


def _own_webhook_failures(session: Session) -> dict[str, int]:
    """Calls whose Voice URL failed, by Twilio's ErrorCode (the Fallback URL's calls)."""
    failures: dict[str, int] = {}
    for raw, count in session.execute(
        select(Call.error_code, func.count())
        .where(Call.error_code.is_not(None))
        .group_by(Call.error_code)
    ):
        code = error_code(raw)
        if code is not None and is_own_webhook_failure(code):
            failures[code] = failures.get(code, 0) + int(count)
    return failures


def _age(
    session: Session, column: InstrumentedAttribute[datetime], condition: Any, now: datetime
) -> float:
    oldest = session.scalar(select(func.min(column)).where(condition))
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def _stored_latencies(session: Session, now: datetime) -> list[float]:
    query = (
        select(Voicemail.recorded_at, Voicemail.processed_at)
        .where(Voicemail.processed_at.is_not(None))
        .order_by(Voicemail.id.desc())
        .limit(LATENCY_SAMPLE)
    )
    return _seconds_within(session.execute(query), now)


def _accepted_latencies(session: Session, now: datetime) -> list[float]:
    """First emails only: a manual resend days later says nothing about the pipeline."""
    query = (
        select(Voicemail.recorded_at, Delivery.accepted_at)
        .join(Delivery.voicemail)
        .where(Delivery.accepted_at.is_not(None), Delivery.resend_of_id.is_(None))
        .order_by(Delivery.id.desc())
        .limit(LATENCY_SAMPLE)
    )
    return _seconds_within(session.execute(query), now)


def _seconds_within(
    pairs: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> list[float]:
    """Seconds from start to end, sorted, for the pairs that ended within the window."""
    cutoff = now - LATENCY_WINDOW
    return sorted(
        max(0.0, (end - start).total_seconds())
        for start, end in pairs
        if end is not None and end >= cutoff
    )
