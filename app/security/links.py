"""Signed links in notices: a subscriber's private status page, and one-click unsubscribe.

Both are signed with BACKLINE_SECRET_KEY under their own salt, so neither can be turned into
the other or into a listen link. A status link names the subscribers one notice was about (a
business with several numbers sharing an address gets one link for all of them); it expires
after BACKLINE_STATUS_LINK_DAYS, and `Subscriber.status_links_revoked_at` revokes every link
issued to a subscriber before that moment. An unsubscribe link names a channel and address and
does not expire: an old notice must still let its reader stop the next ones.

A status link carries the moment it was issued to the microsecond (itsdangerous' own timestamp
has whole seconds only): a link issued just after a revocation must work, and one issued just
before it must not, even within the same second.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha1
from json import JSONEncoder
from typing import Any

from flask import current_app
from itsdangerous import BadData, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from app.core.urls import public_url
from app.models import MAX_ID, utcnow

STATUS_SALT = "status-page"
UNSUBSCRIBE_SALT = "unsubscribe"
MAX_SUBSCRIBERS_PER_LINK = 200  # beyond this the link names the first ones only
COMPRESS_FROM = 128  # bytes of JSON: shorter payloads are never worth compressing
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MICROS = (datetime(9999, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


class LinkInvalid(Exception):
    """Not a link Backline made (or it was altered, or cut short)."""


@dataclass(frozen=True)
class StatusClaim:
    subscriber_ids: tuple[int, ...]
    issued_at: datetime
    expired: bool  # genuine, but older than BACKLINE_STATUS_LINK_DAYS


def status_url(subscriber_ids: Sequence[int]) -> str:
    """The absolute link to the status page of these subscribers."""
    ids = sorted(set(subscriber_ids))[:MAX_SUBSCRIBERS_PER_LINK]
    issued = utcnow() - EPOCH
    payload = {"ids": ids, "us": issued // timedelta(microseconds=1)}
    return public_url(f"/status/{_status_serializer().dumps(payload)}")


def read_status_token(token: str) -> StatusClaim:
    """What a status token names; LinkInvalid unless Backline signed it as it stands."""
    try:
        payload = _status_serializer().loads(token)
    except BadData:
        raise LinkInvalid("bad signature or payload") from None
    if not (isinstance(payload, dict) and set(payload) == {"ids", "us"}):
        raise LinkInvalid("payload is not a status link")
    ids, micros = payload["ids"], payload["us"]
    if not (isinstance(ids, list) and ids and all(type(i) is int and 0 < i <= MAX_ID for i in ids)):
        raise LinkInvalid("payload is not a list of subscriber ids")
    if type(micros) is not int or not 0 <= micros < MAX_MICROS:
        raise LinkInvalid("payload has no issuing time")
    issued_at = EPOCH + timedelta(microseconds=micros)
    expired = utcnow() - issued_at > timedelta(days=current_app.config["BACKLINE_STATUS_LINK_DAYS"])
    return StatusClaim(tuple(ids), issued_at, expired)


def unsubscribe_url(channel: str, address: str) -> str:
    """The absolute one-click (RFC 8058) link that stops notices to one address."""
    return public_url(f"/unsubscribe/{_unsubscribe_serializer().dumps([channel, address])}")


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """The (channel, address) an unsubscribe token names; LinkInvalid if it is not ours."""
    try:
        payload = _unsubscribe_serializer().loads(token)
    except BadData:
        raise LinkInvalid("bad signature or payload") from None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, str) and part for part in payload)
    ):
        raise LinkInvalid("payload is not a channel and an address")
    return payload[0], payload[1]


def _status_serializer() -> URLSafeSerializer:
    return _serializer(current_app.config["BACKLINE_SECRET_KEY"], STATUS_SALT)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return _serializer(current_app.config["BACKLINE_SECRET_KEY"], UNSUBSCRIBE_SALT)


class _LinkSigner(Signer):
    """itsdangerous' signer, deriving its key once: it derives it again for every signature."""

    @functools.cached_property
    def _key(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)


class _LinkSerializer(URLSafeSerializer):
    """itsdangerous' URL-safe serializer, made cheap enough to sign two links per notice email.

    It makes a new signer for every signature, encodes JSON with a new encoder, and tries zlib
    on every payload, keeping the result when shorter. A link's payload is a few dozen bytes,
    which deflate never shortens, and the attempt cost half of signing it. So this one keeps
    its signer (with its derived key), one compact encoder, and compresses only payloads of
    COMPRESS_FROM bytes or more (a status link naming many subscribers). Tokens are byte for
    byte what itsdangerous writes (SHA-1 HMAC, here through OpenSSL's one-call HMAC rather than
    the pure-Python one its lazy SHA-1 falls back to), so links issued before stay valid.
    """

    def __init__(self, secret_key: str, salt: str) -> None:
        super().__init__(
            secret_key, salt=salt, signer=_LinkSigner, signer_kwargs={"digest_method": sha1}
        )

    @functools.cached_property
    def _signer(self) -> Signer:
        return super().make_signer()

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None else super().make_signer(salt)

    def dump_payload(self, obj: Any) -> bytes:
        json = _COMPACT_JSON.encode(obj).encode("utf-8")
        if len(json) < COMPRESS_FROM:
            return base64_encode(json)
        return super().dump_payload(obj)


_COMPACT_JSON = JSONEncoder(separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    """One serializer per key and salt: a notice batch signs two links per message."""
    return _LinkSerializer(secret_key, salt)
