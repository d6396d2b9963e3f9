"""`Idempotency-Key` on POST /api/v1/outages: a repeated request never opens a second outage.

The key is stored in the same transaction as the outage it created, so either both exist or
neither does; two requests racing with one key meet at the key's primary key.
"""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from app.api.errors import ApiError
from app.models import IdempotencyKey, Outage

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def key_from_request() -> str | None:
    """The request's Idempotency-Key, if it sent one: 1 to 255 printable ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_LENGTH or not (key.isascii() and key.isprintable()):
        raise ApiError(
            400,
            f"The {HEADER} header must be 1 to {MAX_LENGTH} printable ASCII characters "
            "(a UUID is a good choice).",
        )
    return key


def earlier_outage(session: Session, key: str, body_hash: str) -> Outage | None:
    """The outage an earlier request with this key created; 422 if that request differed."""
    stored = session.get(IdempotencyKey, key)
    if stored is None:
        return None
    if stored.request_hash != body_hash:
        raise ApiError(
            422,
            f"This {HEADER} was already used for a different request body; "
            "use a new key for a new outage.",
        )
    return session.get(Outage, stored.outage_id)


def remember(
    session: Session, key: str, body_hash: str, outage: Outage, token_id: int | None
) -> None:
    """Store the key with the outage it created (committed with the outage)."""
    session.add(
        IdempotencyKey(key=key, request_hash=body_hash, outage_id=outage.id, token_id=token_id)
    )
