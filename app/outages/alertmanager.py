"""Alertmanager alerts: each one opens at most one outage, and moves it to monitoring once.

Alertmanager re-sends a group's alerts at every group_interval and retries failed deliveries,
so one alert arrives many times. It is keyed by (fingerprint, startsAt) and remembered in
`alerts`; the unique constraint there, not a read before the write, decides which of two
concurrent deliveries acts. Per alert (its own `status`, not the group's):
- firing, first seen: an outage in `investigating` (source alertmanager), scoped by the labels
  `region`, `number` and `plan`; an alert without them is acknowledged and ignored unless it
  carries backline_scope="all": a mis-labelled alert must not tell every subscriber. Nor does
  an alert whose scope matches no subscriber (a typo in a rule) open an outage that reaches
  nobody: it is acknowledged and ignored too, naming the regions and plans that exist. Refusing
  either with a 4xx would only make Alertmanager retry for ever; instead the admins are emailed
  once per delivery about the alerts it ignored (`app.alert_warnings`).
- resolved: its outage moves to `monitoring`, once, and only from an earlier active state.
  Nothing here resolves an outage: a person does.
The webhook body is read in `app/api/alerts.py`; this module takes the checked alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.extensions import jobs
from app.core.phone import InvalidNumber, normalise
from app.models import AlertRecord, Outage, OutageSource, OutageState, utcnow
from app.models.outage import MESSAGE_LIMIT
from app.outages.alert_warnings import warn_admins_of_ignored_alerts
from app.outages.detector import SUBSCRIBER_MESSAGE
from app.outages.lifecycle import Scope, start_outage, update_outage
from app.outages.scope_rules import nobody_matches

log = structlog.get_logger(__name__)

FIRING, RESOLVED = "firing", "resolved"
STARTED, ALREADY_SEEN, MONITORING, IGNORED = "started", "already-seen", "monitoring", "ignored"
EVERYONE_LABEL, EVERYONE = "backline_scope", "all"
ACTOR_LIMIT = 200  # the outage_events.actor column


class Ignored(Exception):
    """An alert acknowledged but not acted on; the reason is kept with it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Alert:
    """One checked alert from a webhook body."""

    fingerprint: str
    starts_at: datetime  # UTC, to the microsecond: the precision every database keeps
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(frozen=True)
class Notification:
    """One webhook delivery: the receiver that sent it and its alerts."""

    receiver: str
    alerts: list[Alert]

    @property
    def actor(self) -> str:
        """Who the audit log says made the change: `alertmanager:<receiver>`."""
        return f"alertmanager:{self.receiver}"[:ACTOR_LIMIT]


@dataclass(frozen=True)
class Outcome:
    """What one alert did, as the webhook's answer reports it."""

    alert: Alert
    outcome: str
    outage_id: int | None = None
    reason: str | None = None
    record_id: int | None = None  # of an alert ignored now, which the admins are told about

    def as_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.alert.fingerprint,
            "starts_at": self.alert.starts_at.isoformat(),
            "status": self.alert.status,
            "outcome": self.outcome,
            "outage_id": self.outage_id,
            "reason": self.reason,
        }


def scope_of(labels: Mapping[str, str]) -> Scope:
    """The subscribers an alert is about, from its labels; Ignored if the labels say nobody."""
    region, number, plan = (labels.get(name, "").strip() for name in ("region", "number", "plan"))
    if not (region or number or plan):
        if labels.get(EVERYONE_LABEL) == EVERYONE:
            return Scope()
        raise Ignored(f'no region, number or plan label, and no {EVERYONE_LABEL}="{EVERYONE}"')
    if number:
        try:
            number = normalise(number)
        except InvalidNumber as exc:
            raise Ignored(f"the number label is not a phone number: {exc}") from None
    return Scope([region] if region else [], [number] if number else [], [plan] if plan else [])


def messages(annotations: Mapping[str, str]) -> tuple[str | None, str]:
    """(caller message, subscriber message) from the annotations.

    `summary` is written by the NOC and may name the platform that failed, which callers are
    not told by default; so callers hear the neutral template unless `caller_message` is set.
    """
    caller = _message(annotations.get("caller_message"))
    return caller, _message(annotations.get("summary")) or SUBSCRIBER_MESSAGE


def _message(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def receive(session: Session, notification: Notification) -> list[Outcome]:
    """Act on each alert once, committing each on its own so one duplicate undoes no other."""
    outcomes = [_receive_one(session, alert, notification.actor) for alert in notification.alerts]
    for outcome in outcomes:  # the reason may quote a whole phone number: logs never do
        log.info(
            "alertmanager alert",
            fingerprint=outcome.alert.fingerprint,
            alert_status=outcome.alert.status,
            outcome=outcome.outcome,
            outage_id=outcome.outage_id,
            receiver=notification.receiver,
        )
    ignored = [o.record_id for o in outcomes if o.record_id is not None]
    if ignored:
        log.warning("alerts ignored for their scope; admins told", count=len(ignored))
        jobs.enqueue(warn_admins_of_ignored_alerts, ignored)
    return outcomes


def _receive_one(session: Session, alert: Alert, actor: str) -> Outcome:
    handle: Callable[[Session, Alert, str], Outcome] = _fire if alert.status == FIRING else _resolve
    try:
        outcome = handle(session, alert, actor)
        session.commit()
    except IntegrityError:  # a concurrent delivery recorded this alert first; act on its record
        session.rollback()
        outcome = handle(session, alert, actor)
        session.commit()
    return outcome


def _fire(session: Session, alert: Alert, actor: str) -> Outcome:
    if (record := _record(session, alert)) is not None:
        return Outcome(alert, ALREADY_SEEN, record.outage_id, "this alert was already received")
    record = _remember(session, alert)
    try:
        scope = scope_of(alert.labels)
        if problem := nobody_matches(session, scope):
            raise Ignored(problem)
    except Ignored as exc:
        record.ignored_reason = exc.reason
        return Outcome(alert, IGNORED, reason=exc.reason, record_id=record.id)
    caller_message, subscriber_message = messages(alert.annotations)
    outage = start_outage(
        session,
        actor=actor,
        scope=scope,
        caller_message=caller_message,
        subscriber_message=subscriber_message,
        source=OutageSource.ALERTMANAGER,
    )
    record.outage_id = outage.id
    return Outcome(alert, STARTED, outage.id)


def _resolve(session: Session, alert: Alert, actor: str) -> Outcome:
    record = _record(session, alert)
    if record is None:
        reason = "resolved before Backline saw it firing"
        _remember(session, alert, ignored_reason=reason)
        return Outcome(alert, IGNORED, reason=reason)
    if not _claim_resolution(session, record):
        return Outcome(alert, ALREADY_SEEN, record.outage_id, "already received resolved")
    outage = session.get(Outage, record.outage_id) if record.outage_id else None
    if outage is None:
        return Outcome(alert, IGNORED, reason=record.ignored_reason)
    if outage.state in (OutageState.MONITORING, OutageState.RESOLVED):
        return Outcome(alert, IGNORED, outage.id, f"outage {outage.id} is already {outage.state}")
    update_outage(session, outage, actor=actor, state=OutageState.MONITORING.value)
    return Outcome(alert, MONITORING, outage.id)


def _record(session: Session, alert: Alert) -> AlertRecord | None:
    query = select(AlertRecord).where(
        AlertRecord.fingerprint == alert.fingerprint, AlertRecord.starts_at == alert.starts_at
    )
    return session.scalars(query).one_or_none()


def _remember(session: Session, alert: Alert, ignored_reason: str | None = None) -> AlertRecord:
    """Record the alert and flush, so its unique key claims it before anything else is done."""
    resolved_at = utcnow() if alert.status == RESOLVED else None
    record = AlertRecord(
        fingerprint=alert.fingerprint,
        starts_at=alert.starts_at,
        status=alert.status,
        labels=alert.labels,
        ignored_reason=ignored_reason,
        resolved_at=resolved_at,
    )
    session.add(record)
    session.flush()
    return record


def _claim_resolution(session: Session, record: AlertRecord) -> bool:
    """Mark a firing record resolved; False if it was already (a compare-and-set, race-safe)."""
    claimed = cast(
        CursorResult[object],
        session.execute(
            update(AlertRecord)
            .where(AlertRecord.id == record.id, AlertRecord.status == FIRING)
            .values(status=RESOLVED, resolved_at=utcnow())
            .execution_options(synchronize_session="fetch")
        ),
    )
    return claimed.rowcount == 1
