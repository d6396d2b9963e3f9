"""Signed, expiring listen links: how a subscriber hears a voicemail without logging in.

A token carries the voicemail id and the link's lifetime, signed with BACKLINE_SECRET_KEY
(itsdangerous adds when it was signed). The voicemail feature serves the link; the voicemail
email and the admin pages hand it out.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.core.urls import public_url
from app.models import MAX_ID

SALT = "listen"


class LinkExpired(Exception):
    """The link was genuine but its lifetime is over."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["BACKLINE_SECRET_KEY"], salt=SALT)


def listen_url(voicemail_id: int, expires_in: timedelta | None = None) -> str:
    """The absolute link that plays one voicemail; it works for BACKLINE_LISTEN_LINK_DAYS."""
    if expires_in is None:
        expires_in = timedelta(days=current_app.config["BACKLINE_LISTEN_LINK_DAYS"])
    token = _serializer().dumps([voicemail_id, int(expires_in.total_seconds())])
    return public_url(f"/voicemail/listen/{token}")


def voicemail_id_from(token: str) -> int:
    """The voicemail a token names; BadData if it is not ours, LinkExpired if too old."""
    payload, signed_at = _serializer().loads(token, return_timestamp=True)
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(type(value) is int for value in payload)
        and 0 < payload[0] <= MAX_ID
    ):
        raise BadData("the token's payload is not a listen link")
    voicemail_id, lifetime = payload
    if signed_at.timestamp() + lifetime < time.time():
        raise LinkExpired
    return int(voicemail_id)
