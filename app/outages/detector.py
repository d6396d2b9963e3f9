"""The detector: opens an outage by itself when the primary platform looks down.

Every check (a periodic job) reads two signals, a probe of PRIMARY_HEALTH_URL and the failed
calls stored as evidence, and keeps its counters in job_state so that a restart, or the next
worker to take the scheduler lock, carries on where the last check stopped.

Hysteresis keeps a flapping primary from flapping the outage:
- it opens only after BACKLINE_DETECTOR_OPEN_AFTER probes in a row said down, or once
  BACKLINE_DETECTOR_FAILURES failed calls fell within BACKLINE_DETECTOR_WINDOW_SECONDS;
- it moves to `monitoring` only after BACKLINE_DETECTOR_CLOSE_AFTER healthy checks in a row with
  no new evidence, and back to `investigating` if the primary looks down again from there;
- it is never resolved here: a person resolves.
While any outage covering everyone is active, what the signals said so far is spent: once a
person resolves it, the detector starts counting afresh instead of reopening at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import structlog
from flask import current_app
from sqlalchemy.orm import Session

from app.core.extensions import db
from app.models import JobState, Outage, OutageSource, OutageState, utcnow
from app.outages.detector_probe import Health, failures_since, latest_evidence_id, probe
from app.outages.lifecycle import Scope, active_outages, start_outage, update_outage

log = structlog.get_logger(__name__)

ACTOR = "detector"
MEMORY_KEY = "detector"
SUBSCRIBER_MESSAGE = "We are seeing problems with our phone service and are looking into it."


@dataclass
class Memory:
    """What the detector keeps between checks."""

    down_streak: int = 0  # probes in a row that said down
    healthy_streak: int = 0  # checks in a row with a probe not down and no new evidence
    evidence_seen: int = 0  # the newest evidence id the previous check saw
    spent_until: str | None = None  # evidence up to this moment already acted on (ISO 8601)

    def spend(self, now: datetime) -> None:
        self.down_streak = 0
        self.spent_until = now.isoformat()


def check_primary() -> str:
    """Run one detector check and return what it did. Safe to repeat; one scheduler runs it."""
    config = current_app.config
    if not config["PRIMARY_HEALTH_URL"] and config["BACKLINE_DETECTOR_FAILURES"] <= 0:
        return "off"  # no signal to read: neither a probe nor failed calls
    health = probe(config["PRIMARY_HEALTH_URL"], config["BACKLINE_DETECTOR_PROBE_TIMEOUT_SECONDS"])
    session = db.session()
    now = utcnow()
    memory = _load(session)
    looks_down = _read(session, memory, health, now)
    action = _act(session, memory, looks_down, now)
    _save(session, memory)
    session.commit()
    return action


def _read(session: Session, memory: Memory, health: Health | None, now: datetime) -> bool:
    """Update the counters from this check's signals; return whether the primary looks down."""
    config = current_app.config
    newest = latest_evidence_id(session)
    new_evidence = newest > memory.evidence_seen
    memory.evidence_seen = newest
    memory.down_streak = memory.down_streak + 1 if health is Health.DOWN else 0
    healthy = health is not Health.DOWN and not new_evidence
    memory.healthy_streak = memory.healthy_streak + 1 if healthy else 0
    since = now - timedelta(seconds=config["BACKLINE_DETECTOR_WINDOW_SECONDS"])
    if memory.spent_until:
        since = max(since, datetime.fromisoformat(memory.spent_until))
    threshold = config["BACKLINE_DETECTOR_FAILURES"]
    rate_crossed = threshold > 0 and failures_since(session, since) >= threshold
    open_after = max(1, config["BACKLINE_DETECTOR_OPEN_AFTER"])
    return memory.down_streak >= open_after or rate_crossed


def _act(session: Session, memory: Memory, looks_down: bool, now: datetime) -> str:
    active = active_outages(session)
    ours = next((o for o in active if o.source == OutageSource.DETECTOR), None)
    if ours is not None and ours.state == OutageState.MONITORING:
        return _watch_recovery(session, memory, looks_down, ours, now)
    if ours is not None:
        memory.spend(now)
        return _maybe_monitor(session, memory, ours)
    others = [o.id for o in active if o.covers_everyone]
    if others:
        memory.spend(now)
        if looks_down:
            log.info(
                "primary looks down; an outage covering everyone is already open", outage_ids=others
            )
        return "suppressed"
    if not looks_down:
        return "healthy"
    outage = start_outage(
        session,
        actor=ACTOR,
        scope=Scope(),
        subscriber_message=SUBSCRIBER_MESSAGE,
        source=OutageSource.DETECTOR,
    )
    memory.spend(now)
    memory.healthy_streak = 0
    log.warning("detector opened an outage: the primary looks down", outage_id=outage.id)
    return "opened"


def _maybe_monitor(session: Session, memory: Memory, outage: Outage) -> str:
    if memory.healthy_streak < max(1, current_app.config["BACKLINE_DETECTOR_CLOSE_AFTER"]):
        return "open"
    update_outage(session, outage, actor=ACTOR, state=OutageState.MONITORING.value)
    memory.healthy_streak = 0
    log.warning("primary looks healthy again; outage now monitoring", outage_id=outage.id)
    return "monitoring"


def _watch_recovery(
    session: Session, memory: Memory, looks_down: bool, outage: Outage, now: datetime
) -> str:
    if not looks_down:
        return "monitoring"
    update_outage(session, outage, actor=ACTOR, state=OutageState.INVESTIGATING.value)
    memory.spend(now)
    memory.healthy_streak = 0
    log.warning("primary looks down again; outage back to investigating", outage_id=outage.id)
    return "investigating"


def _load(session: Session) -> Memory:
    row = session.get(JobState, MEMORY_KEY)
    if row is None:
        return Memory()
    try:
        return Memory(**json.loads(row.value))
    except (TypeError, ValueError):  # written by another version: start counting again
        log.warning("detector memory unreadable; starting afresh", value=row.value[:200])
        return Memory()


def _save(session: Session, memory: Memory) -> None:
    row = session.get(JobState, MEMORY_KEY) or JobState(name=MEMORY_KEY, value="")
    row.value = json.dumps(asdict(memory))
    session.add(row)
