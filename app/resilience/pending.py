"""What the call path must keep while the database is down, and replaying it afterwards.

Entries go to a Redis list, or, if Redis is down too, to the storage backend (never a web
machine's own disk). `replay_pending` applies them in order once the database answers again;
every handler is idempotent, because an entry is removed only after it was applied. Jobs a
webhook could not queue while Redis was away are kept here too (app/pending_jobs.py).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from redis import RedisError

from app.core.circuit import OUTAGE_ERRORS, DatabaseUnavailable
from app.core.extensions import db, redis_client, storage
from app.core.jobs import QueueUnavailable
from app.core.storage import StorageError
from app.models import utcnow

log = structlog.get_logger(__name__)

REDIS_KEY = "backline:pending"
DEAD_REDIS_KEY = "backline:pending:failed"
STORAGE_PREFIX = "pending/"
DEAD_PREFIX = "pending-failed/"
Handler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}


class NothingKept(RuntimeError):
    """Neither Redis nor the storage backend could keep an entry."""


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that applies entries of one kind to the database."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


def keep(kind: str, payload: dict[str, Any]) -> None:
    """Keep an entry until the database is back: Redis first, the storage backend second."""
    record = json.dumps({"kind": kind, "at": utcnow().isoformat(), "payload": payload})
    client = redis_client()
    if client is not None:
        try:
            client.rpush(REDIS_KEY, record)
            return
        except RedisError as exc:
            log.warning("redis unavailable for pending entries; using storage", error=str(exc))
    key = f"{STORAGE_PREFIX}{time.time_ns():020d}-{uuid.uuid4().hex}.json"
    try:
        storage().put(key, record.encode(), "application/json")
    except StorageError as exc:
        raise NothingKept(f"could not keep a {kind} entry anywhere: {exc}") from exc
    log.info("kept for later", kind=kind, where="storage")


def replay_pending(limit: int = 1000) -> int:
    """Apply kept entries in order; stop at the first sign the database or queue is still away."""
    applied = 0
    try:
        applied += _replay_redis(limit)
        applied += _replay_storage(limit - applied)
    except DatabaseUnavailable:
        log.info("database still unavailable; pending entries wait", applied=applied)
    except QueueUnavailable:  # a kept job (app/pending_jobs.py) and the ones after it wait
        log.info("job queue still unreachable; pending entries wait", applied=applied)
    if applied:
        log.info("pending entries applied", applied=applied)
    return applied


def _replay_redis(limit: int) -> int:
    client = redis_client()
    applied = 0
    while client is not None and applied < limit:
        try:
            raw = client.lindex(REDIS_KEY, 0)
        except RedisError:
            return applied
        if raw is None:
            break
        if not _apply(raw):
            client.rpush(DEAD_REDIS_KEY, raw)
        client.lpop(REDIS_KEY)
        applied += 1
    return applied


def _replay_storage(limit: int) -> int:
    applied = 0
    for key in storage().list(STORAGE_PREFIX)[:limit]:
        raw = storage().get(key)
        if not _apply(raw):
            storage().put(DEAD_PREFIX + key.removeprefix(STORAGE_PREFIX), raw, "application/json")
        storage().delete(key)
        applied += 1
    return applied


def _apply(raw: bytes | str) -> bool:
    """Apply one entry; False (and a log line) if it can never be applied."""
    try:
        record = json.loads(raw)
        handler = _HANDLERS[record["kind"]]
        handler(record["payload"])
    except (DatabaseUnavailable, QueueUnavailable):
        raise
    except OUTAGE_ERRORS as exc:  # the database is still away: keep the entry, stop here
        with contextlib.suppress(*OUTAGE_ERRORS):
            db.session.rollback()
        raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
    except Exception:  # a poisoned entry must not block the ones behind it
        log.error("pending entry cannot be applied; set aside", exc_info=True)
        return False
    return True


def purge_set_aside(before: datetime) -> int:
    """Delete set-aside entries kept before `before` (retention: they hold callers' numbers).

    Set aside means no handler could ever apply them; an operator had until then to look.
    """
    removed = 0
    client = redis_client()
    if client is not None:
        try:
            for raw in client.lrange(DEAD_REDIS_KEY, 0, -1):
                if _kept_at(raw) < before:
                    removed += int(client.lrem(DEAD_REDIS_KEY, 1, raw))  # type: ignore[arg-type]
        except RedisError as exc:
            log.warning("set-aside entries in Redis not purged", error=str(exc))
    cutoff_ns = int(before.timestamp() * 1e9)
    try:
        for key in storage().list(DEAD_PREFIX):
            stamp = key.removeprefix(DEAD_PREFIX).split("-", 1)[0]
            if stamp.isdigit() and int(stamp) < cutoff_ns:
                storage().delete(key)
                removed += 1
    except StorageError as exc:  # the next run tries again
        log.warning("set-aside entries in storage not purged", error=str(exc))
    return removed


def _kept_at(raw: bytes | str) -> datetime:
    """When an entry was kept; an unreadable one counts as old (it can only be deleted)."""
    try:
        return datetime.fromisoformat(json.loads(raw)["at"])
    except (ValueError, KeyError, TypeError):
        return datetime.min.replace(tzinfo=UTC)


def pending_count() -> int:
    """How many entries wait (for health checks and tests)."""
    client = redis_client()
    queued = 0
    if client is not None:
        try:
            queued = int(client.llen(REDIS_KEY))
        except RedisError:
            queued = 0
    return queued + len(storage().list(STORAGE_PREFIX))
