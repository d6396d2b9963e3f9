"""Deleting a recording at Twilio once Backline holds a verified copy (BACKLINE_DELETE_FROM_TWILIO).

Fewer copies of callers' voices in fewer places: once the original and the MP3 are in storage
and the original reads back as the recording it was, Twilio's copy is no longer needed.
"""

from __future__ import annotations

import io
import wave

import structlog
from flask import current_app

from app.core.extensions import db, storage
from app.core.jobs import job
from app.models import Voicemail, utcnow
from app.twilio.rest import TwilioApiError, twilio_rest

log = structlog.get_logger(__name__)
TOLERANCE_MS = 50


class CopyNotVerified(RuntimeError):
    """The stored copy is missing or does not read back as the recording: keep Twilio's."""


@job("voicemail", timeout=120, retry_intervals=(60, 300, 900, 3600))
def delete_from_twilio(voicemail_id: int) -> None:
    """Delete the recording at Twilio after checking the stored copy. Idempotent."""
    voicemail = db.session.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.deleted_from_twilio_at or not voicemail.original_key:
        return
    _verify_stored_copy(voicemail)
    try:
        with twilio_rest(current_app.config) as api:
            api.delete_recording(voicemail.recording_sid)
    except TwilioApiError as exc:
        if exc.status != 404:  # a 404 means it is gone already
            raise
    voicemail.deleted_from_twilio_at = utcnow()
    db.session.commit()
    log.info("recording deleted at Twilio", recording_sid=voicemail.recording_sid)


def _verify_stored_copy(voicemail: Voicemail) -> None:
    original = storage().get(voicemail.original_key or "")
    if not voicemail.mp3_key or not storage().exists(voicemail.mp3_key):
        raise CopyNotVerified("the MP3 is not in storage")
    try:
        with wave.open(io.BytesIO(original)) as audio:
            stored_ms = 1000 * audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError) as exc:
        raise CopyNotVerified(f"the stored original is not a readable WAV ({exc})") from exc
    if abs(stored_ms - (voicemail.duration_ms or 0)) > TOLERANCE_MS:
        raise CopyNotVerified("the stored original is not as long as the recording")
