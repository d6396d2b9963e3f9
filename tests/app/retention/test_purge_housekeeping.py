"""The purge also empties the bookkeeping that would otherwise grow, or keep numbers, for ever."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db, redis_client, storage
from app.models import IdempotencyKey, utcnow
from app.resilience.pending import DEAD_PREFIX, DEAD_REDIS_KEY
from app.retention.purge import IDEMPOTENCY_KEYS_KEPT, purge_expired


def test_idempotency_keys_older_than_a_week_go_and_recent_ones_stay(
    app: Flask, outage: Any
) -> None:
    created = outage()
    now = utcnow()
    for key, age in (("old", IDEMPOTENCY_KEYS_KEPT + timedelta(hours=1)), ("recent", timedelta(0))):
        db.session.add(
            IdempotencyKey(
                key=key, request_hash="0" * 64, outage_id=created.id, created_at=now - age
            )
        )
    db.session.commit()

    purge_expired()

    assert list(db.session.scalars(select(IdempotencyKey.key))) == ["recent"]


def set_aside_record(kept_at: datetime) -> str:
    payload = {"call_sid": "CA" + "5" * 32, "from_number": "+12125550123"}
    return json.dumps({"kind": "unknown-kind", "at": kept_at.isoformat(), "payload": payload})


def test_set_aside_pending_entries_older_than_the_cutoff_go(app: Flask) -> None:
    old, recent = utcnow() - timedelta(days=400), utcnow()
    keys = {}
    for kept_at in (old, recent):
        stamp = int(kept_at.timestamp() * 1e9)
        keys[kept_at] = f"{DEAD_PREFIX}{stamp:020d}-{uuid.uuid4().hex}.json"
        storage().put(keys[kept_at], set_aside_record(kept_at).encode(), "application/json")
    records = {kept_at: set_aside_record(kept_at).encode() for kept_at in (old, recent)}
    client = redis_client()
    if client is not None:
        client.rpush(DEAD_REDIS_KEY, records[old], records[recent], b"not json")

    report = purge_expired(days=30)

    left = set(storage().list(DEAD_PREFIX))
    assert keys[recent] in left and keys[old] not in left
    if client is not None:
        kept = client.lrange(DEAD_REDIS_KEY, 0, -1)
        assert records[recent] in kept
        assert records[old] not in kept and b"not json" not in kept
    assert report.set_aside_purged >= (1 if client is None else 3)
