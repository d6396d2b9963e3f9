"""Signed, expiring listen links: how a subscriber hears a voicemail without logging in.

A token carries the voicemail id and the link's lifetime, signed with BACKLINE_SECRET_KEY
(itsdangerous adds when it was signed). Recordings stay private: this route is the only way to
hear one over HTTP, and only with a valid token.
"""

from __future__ import annotations

import time
from datetime import timedelta

import structlog
from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from app.circuit import DatabaseUnavailable
from app.extensions import db, storage
from app.models import MAX_ID, Voicemail, VoicemailStatus
from app.twilio_signature import public_url

from .storage import ObjectNotFound, StorageError
from .views import bp

log = structlog.get_logger(__name__)

SALT = "listen"
INVALID = "This listen link is not valid. Check that it was copied whole from the voicemail email."
EXPIRED = (
    "This listen link has expired. The MP3 attached to the voicemail email still plays; "
    "if the email had no attachment, ask your provider's support team for the recording."
)
NO_AUDIO = (
    "This voicemail has no recording to play: it could not be retrieved from the phone network, "
    "or it has been deleted under the retention policy."
)
UNAVAILABLE = "The recording cannot be fetched right now. Please try again in a few minutes."


class LinkExpired(Exception):
    """The link was genuine but its lifetime is over."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["BACKLINE_SECRET_KEY"], salt=SALT)


def listen_url(voicemail_id: int, expires_in: timedelta | None = None) -> str:
    """The absolute link that plays one voicemail; it works for BACKLINE_LISTEN_LINK_DAYS."""
    if expires_in is None:
        expires_in = timedelta(days=current_app.config["BACKLINE_LISTEN_LINK_DAYS"])
    token = _serializer().dumps([voicemail_id, int(expires_in.total_seconds())])
    return public_url(f"{bp.url_prefix}/listen/{token}")


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


@bp.get("/listen/<token>")
def listen(token: str) -> Response:
    """Play a voicemail's MP3 to whoever holds a valid, unexpired link."""
    try:
        voicemail_id = voicemail_id_from(token)
    except LinkExpired:
        return _refusal(410, EXPIRED)
    except BadData:
        return _refusal(404, INVALID)
    structlog.contextvars.bind_contextvars(voicemail_id=voicemail_id)
    try:
        voicemail = db.guarded(lambda: db.session.get(Voicemail, voicemail_id))
    except DatabaseUnavailable:
        return _refusal(503, UNAVAILABLE)
    if voicemail is None or not voicemail.mp3_key or voicemail.status == VoicemailStatus.FAILED:
        return _refusal(404, NO_AUDIO)
    try:
        audio = storage().get(voicemail.mp3_key)
    except ObjectNotFound:
        log.warning("listen link for a voicemail whose audio is gone")
        return _refusal(404, NO_AUDIO)
    except StorageError as exc:
        log.error("storage unavailable for a listen link", error=str(exc))
        return _refusal(503, UNAVAILABLE)
    return _audio(audio, voicemail_id)


def _audio(audio: bytes, voicemail_id: int) -> Response:
    response = Response(audio, mimetype="audio/mpeg")
    response.headers["Content-Disposition"] = f'inline; filename="voicemail-{voicemail_id}.mp3"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Browsers' audio players (Safari's above all) seek with Range requests.
    response.make_conditional(request, accept_ranges=True, complete_length=len(audio))
    return response


def _refusal(status: int, sentence: str) -> Response:
    response = Response(sentence + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response
