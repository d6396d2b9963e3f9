"""The snapshot cache the call path reads: subscribers by number and the active outages.

Three layers, each a fallback for the next:
- this process's copy, trusted for REFRESH_S (so it is never more than about 2 s stale);
- Redis (when configured), under a version number every outage or subscriber change bumps;
- the database, read through the circuit breaker.
When the database is down, the last copy this process or Redis holds is used, however old:
answering by name with a slightly old message beats a generic greeting. So a change of version
(another process's change, or a Redis restart that reset it) or an invalidation only marks this
process's copy stale: it is replaced once a newer one loads, never dropped before.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import structlog
from flask import Flask, current_app, has_app_context
from redis import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db, redis_client
from app.models import ACTIVE_STATES, Outage, Subscriber
from app.resilience.snapshot_types import OutageEntry, SubscriberEntry

log = structlog.get_logger(__name__)

REFRESH_S = 1.0
MAX_SUBSCRIBERS = 50_000  # per-process copies; the rest stay in Redis
VERSION_KEY = "backline:snapshot:version"
SHARED_TTL_S = 3600
_MISSING = object()


class Directory:
    """Flask extension: `directory.subscriber(number)` and `directory.outages()`."""

    def init_app(self, app: Flask) -> None:
        app.extensions["backline.snapshot"] = _LocalCopy()

    @property
    def _local(self) -> _LocalCopy:
        local: _LocalCopy = current_app.extensions["backline.snapshot"]
        return local

    def subscriber(self, number: str) -> SubscriberEntry | None:
        """The subscriber with this E.164 number, or None."""
        local = self._local
        local.check_version()
        cached = local.subscriber(number)
        if cached is not _MISSING and local.fresh(number):
            return cached  # type: ignore[return-value]
        found = _shared_subscriber(local.version, number)
        if found is _MISSING:
            try:
                found = db.guarded(lambda: _load_subscriber(number))
            except DatabaseUnavailable:
                return None if cached is _MISSING else cached  # type: ignore[return-value]
            _share_subscriber(local.version, number, found)  # type: ignore[arg-type]
        local.keep_subscriber(number, found)  # type: ignore[arg-type]
        return found  # type: ignore[return-value]

    def outages(self) -> list[OutageEntry]:
        """Active outages, the most recently updated first."""
        local = self._local
        local.check_version()
        if local.outages is not None and local.outages_fresh():
            return local.outages
        found = _shared_outages(local.version)
        if found is None:
            try:
                found = db.guarded(_load_outages)
            except DatabaseUnavailable:
                return local.outages or []
            _share_outages(local.version, found)
        local.keep_outages(found)
        return found

    def invalidate(self) -> None:
        """Mark every copy stale: call after committing a change to outages or subscribers.

        With Redis unreachable the shared version cannot move; this process owes the bump and
        pays it as soon as Redis answers again (see `_LocalCopy.check_version`).
        """
        local = self._local
        local.mark_stale()
        client = redis_client()
        if client is not None:
            try:
                client.incr(VERSION_KEY)
            except RedisError as exc:
                local.bump_owed = True
                log.error("could not invalidate the shared snapshot", error=str(exc))


directory = Directory()


class _LocalCopy:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: int | None = None
        self.version_checked = 0.0
        self.outages: list[OutageEntry] | None = None
        self.outages_at = 0.0
        self.subscribers: OrderedDict[str, tuple[SubscriberEntry | None, float]] = OrderedDict()
        self.valid_from = 0.0  # copies made before this are stale: used only without a newer one
        self.bump_owed = False  # a change committed while Redis could not be told

    def check_version(self) -> None:
        """Mark everything stale if another process changed outages or subscribers (via Redis)."""
        client = redis_client()
        now = time.monotonic()
        if client is None or now - self.version_checked < REFRESH_S:
            return
        try:
            if self.bump_owed:
                client.incr(VERSION_KEY)
                self.bump_owed = False
                log.info("told the other processes about a change made while Redis was away")
            version = int(client.get(VERSION_KEY) or 0)
        except RedisError:
            return  # keep serving what we have
        with self.lock:
            self.version_checked = now
            if version != self.version:
                self.version, self.valid_from = version, now

    def outages_fresh(self) -> bool:
        return self._fresh(self.outages_at, REFRESH_S)

    def keep_outages(self, outages: list[OutageEntry]) -> None:
        with self.lock:
            self.outages, self.outages_at = outages, time.monotonic()

    def subscriber(self, number: str) -> SubscriberEntry | object | None:
        entry = self.subscribers.get(number)
        return _MISSING if entry is None else entry[0]

    def fresh(self, number: str) -> bool:
        entry = self.subscribers.get(number)
        return entry is not None and self._fresh(entry[1], 2 * REFRESH_S)

    def _fresh(self, copied_at: float, lifetime: float) -> bool:
        return copied_at >= self.valid_from and time.monotonic() - copied_at < lifetime

    def keep_subscriber(self, number: str, found: SubscriberEntry | None) -> None:
        with self.lock:
            self.subscribers[number] = (found, time.monotonic())
            self.subscribers.move_to_end(number)
            while len(self.subscribers) > MAX_SUBSCRIBERS:
                self.subscribers.popitem(last=False)

    def mark_stale(self) -> None:
        """Look for newer copies from now on, keeping these until one loads."""
        with self.lock:
            self.valid_from, self.version_checked = time.monotonic(), 0.0


def _load_subscriber(number: str) -> SubscriberEntry | None:
    row = db.session.scalar(select(Subscriber).where(Subscriber.number == number))
    return SubscriberEntry.of(row) if row else None


def _load_outages() -> list[OutageEntry]:
    query = select(Outage).where(Outage.state.in_([s.value for s in ACTIVE_STATES]))
    rows = db.session.scalars(query.order_by(Outage.updated_at.desc(), Outage.id.desc()))
    return [OutageEntry.of(row) for row in rows]


def _shared_key(version: int | None, part: str) -> str:
    return f"backline:snapshot:{version or 0}:{part}"


def _shared_subscriber(version: int | None, number: str) -> SubscriberEntry | object | None:
    client = redis_client()
    if client is None:
        return _MISSING
    try:
        raw = client.hget(_shared_key(version, "subscribers"), number)
    except RedisError:
        return _MISSING
    if raw is None:
        return _MISSING
    data = json.loads(raw)
    return SubscriberEntry.from_json(data) if data else None


def _share_subscriber(version: int | None, number: str, found: SubscriberEntry | None) -> None:
    _shared_write(lambda client: _hset_expiring(client, version, number, found))


def _hset_expiring(
    client: Any, version: int | None, number: str, found: SubscriberEntry | None
) -> None:
    key = _shared_key(version, "subscribers")
    client.hset(key, number, json.dumps(found.to_json() if found else None))
    client.expire(key, SHARED_TTL_S)


def _shared_outages(version: int | None) -> list[OutageEntry] | None:
    client = redis_client()
    if client is None:
        return None
    try:
        raw = client.get(_shared_key(version, "outages"))
    except RedisError:
        return None
    return [OutageEntry.from_json(item) for item in json.loads(raw)] if raw else None


def _share_outages(version: int | None, outages: list[OutageEntry]) -> None:
    payload = json.dumps([o.to_json() for o in outages])
    _shared_write(
        lambda client: client.set(_shared_key(version, "outages"), payload, ex=SHARED_TTL_S)
    )


def _shared_write(write: Any) -> None:
    client = redis_client()
    if client is None:
        return
    try:
        write(client)
    except RedisError as exc:
        log.warning("could not share the snapshot", error=str(exc))


# Any committed change to an outage or a subscriber invalidates the snapshot, whichever code
# path made it (CLI, API, admin UI, Alertmanager).
_WATCHED = (Outage, Subscriber)


def invalidate_on_commit() -> None:
    """From now on in this process, committing a change to an outage or a subscriber
    invalidates the snapshot. The composition root (create_app) calls this; twice is once."""
    for name, listener in (
        ("before_flush", _note_changes),
        ("after_commit", _invalidate_after_commit),
        ("after_rollback", _forget_changes),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _WATCHED) for obj in changed):
        session.info["snapshot_stale"] = True


def _invalidate_after_commit(session: Session) -> None:
    if session.info.pop("snapshot_stale", False) and has_app_context():
        directory.invalidate()


def _forget_changes(session: Session) -> None:
    session.info.pop("snapshot_stale", None)
