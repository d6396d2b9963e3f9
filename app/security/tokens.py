"""API tokens: made here, shown once, kept only as a SHA-256 hash, revocable.

A token is 32 random bytes, URL-safe base64. Looking one up by its hash means the comparison
that matters happens on a value an attacker cannot steer byte by byte; the final check is
constant-time all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, utcnow

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,99}$")
LAST_USED_PRECISION = timedelta(minutes=1)  # no write per request just to move a timestamp
TOKEN_MAX = 200  # real tokens are 43 characters; longer ones are not worth hashing
BEARER_CHALLENGE = 'Bearer realm="backline"'


class TokenError(ValueError):
    """A token that cannot be created or revoked; the message says why."""


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, name: str) -> tuple[ApiToken, str]:
    """Make a token called `name`; return the row and the token, which is never shown again."""
    if not NAME.match(name) or name.isdigit():
        raise TokenError(
            f"{name!r} is not a usable token name: use up to 100 letters, digits and . _ @ : + -,"
            " starting with a letter or digit, and not only digits (those name token ids)"
        )
    if active_token_named(session, name) is not None:
        raise TokenError(f"an active token is already called {name!r}; revoke it first")
    secret = secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(secret))
    session.add(row)
    session.flush()
    return row, secret


def active_token_named(session: Session, name: str) -> ApiToken | None:
    query = select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
    return session.scalars(query).first()


def find_token(session: Session, name_or_id: str) -> ApiToken:
    """The token with this id (all digits) or the active token with this name."""
    if name_or_id.isdigit():
        row = session.get(ApiToken, int(name_or_id)) if len(name_or_id) < 10 else None
    else:
        row = active_token_named(session, name_or_id)
    if row is None:
        raise TokenError(f"there is no active token called or numbered {name_or_id!r}")
    return row


def revoke_token(session: Session, name_or_id: str) -> ApiToken:
    """Revoke a token by id or name; requests carrying it get 401 from now on."""
    row = find_token(session, name_or_id)
    if row.revoked_at is not None:
        raise TokenError(f"token {row.id} ({row.name}) was revoked already")
    row.revoked_at = utcnow()
    return row


def all_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def authenticate(session: Session, presented: str) -> ApiToken | None:
    """The active token matching `presented`, or None; notes when it was last used."""
    digest = hash_token(presented)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or not row.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now
        session.commit()
    return row


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer …`; "" for a malformed one, None for none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX:
        return ""
    return token
