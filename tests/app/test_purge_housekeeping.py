"""The purge also empties the bookkeeping tables that would otherwise grow for ever."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import IdempotencyKey, utcnow
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
