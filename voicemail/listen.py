"""The listen route: a subscriber hears a voicemail through its signed link, without logging in.

Links are made and read by app.security.listen_links. Recordings stay private: this route is
the only way to hear one over HTTP, and only with a valid token.
"""

from __future__ import annotations

import structlog
from flask import Response, request
from itsdangerous import BadData

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db, storage
from app.core.storage import ObjectNotFound, StorageError
from app.models import Voicemail, VoicemailStatus
from app.security.listen_links import LinkExpired, voicemail_id_from
from voicemail.views import bp

log = structlog.get_logger(__name__)

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
