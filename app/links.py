"""Signed links in notices: a subscriber's private status page, and one-click unsubscribe.

Both are signed with BACKLINE_SECRET_KEY under their own salt, so neither can be turned into
the other or into a listen link. A status link names the subscribers one notice was about (a
business with several numbers sharing an address gets one link for all of them); it expires
after BACKLINE_STATUS_LINK_DAYS, and `Subscriber.status_links_revoked_at` revokes every link
issued to a subscriber before that moment. An unsubscribe link names a channel and address and
does not expire: an old notice must still let its reader stop the next ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from .twilio_signature import public_url

STATUS_SALT = "status-page"
UNSUBSCRIBE_SALT = "unsubscribe"
MAX_SUBSCRIBERS_PER_LINK = 200  # beyond this the link names the first ones only


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
    return public_url(f"/status/{_status_serializer().dumps(ids)}")


def read_status_token(token: str) -> StatusClaim:
    """What a status token names; LinkInvalid unless Backline signed it as it stands."""
    serializer = _status_serializer()
    expired = False
    try:
        payload, signed_at = serializer.loads(
            token, max_age=_status_max_age(), return_timestamp=True
        )
    except SignatureExpired as exc:
        if exc.date_signed is None:
            raise LinkInvalid("no signing time") from None
        payload, signed_at, expired = exc.payload, exc.date_signed, True
        payload = serializer.load_payload(payload) if isinstance(payload, bytes) else payload
    except BadData:
        raise LinkInvalid("bad signature or payload") from None
    if not (isinstance(payload, list) and payload and all(type(i) is int for i in payload)):
        raise LinkInvalid("payload is not a list of subscriber ids")
    return StatusClaim(tuple(payload), signed_at.astimezone(UTC), expired)


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


def _status_max_age() -> int:
    return int(timedelta(days=current_app.config["BACKLINE_STATUS_LINK_DAYS"]).total_seconds())


def _status_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["BACKLINE_SECRET_KEY"], salt=STATUS_SALT)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["BACKLINE_SECRET_KEY"], salt=UNSUBSCRIBE_SALT)
