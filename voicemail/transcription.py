"""Transcripts: asked of Twilio only where it can make them, waited for a bounded time.

Twilio transcribes English recordings of up to two minutes. When one is on its way, the email
waits for it for BACKLINE_TRANSCRIPTION_WAIT_SECONDS at most, then goes without it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.extensions import db
from app.models import JobState, Voicemail, utcnow
from app.resilience.pending import handles
from app.resilience.pending_jobs import queue_or_keep

log = structlog.get_logger(__name__)

MAX_SECONDS = 120  # Twilio does not transcribe longer recordings
REQUESTED, COMPLETED, FAILED = "requested", "completed", "failed"


class TranscriptPending(RuntimeError):
    """The transcript is on its way: try again in a moment (the job retries)."""


def transcribes(language: str | None) -> bool:
    """Whether Twilio is asked for a transcript: only English, which is all it transcribes."""
    return bool(current_app.config["BACKLINE_TRANSCRIBE"]) and (language or "en") == "en"


def expected(language: str | None, duration: int | None) -> bool:
    """Whether a transcript will come for a recording of this language and length."""
    return transcribes(language) and duration is not None and 0 < duration <= MAX_SECONDS


def apply_early_transcript(voicemail: Voicemail) -> None:
    """Attach a transcript that arrived before its recording callback (called at intake)."""
    early = db.session.get(JobState, _early_key(voicemail.recording_sid))
    if early is None:
        return
    payload = json.loads(early.value)
    voicemail.transcription_status = (
        COMPLETED if payload.get("TranscriptionStatus") == COMPLETED else FAILED
    )
    voicemail.transcription_text = (payload.get("TranscriptionText") or "").strip() or None
    db.session.delete(early)


def _early_key(recording_sid: str) -> str:
    return f"early-transcript:{recording_sid}"


def still_waiting(voicemail: Voicemail) -> bool:
    """Whether the email should wait longer for this voicemail's transcript."""
    if voicemail.transcription_status != REQUESTED:
        return False
    wait = timedelta(seconds=current_app.config["BACKLINE_TRANSCRIPTION_WAIT_SECONDS"])
    return utcnow() - voicemail.recorded_at < wait


@handles("transcription")
def store_transcription(payload: dict[str, Any]) -> None:
    """Keep Twilio's transcript on the voicemail and let its emails go."""
    session = db.session()
    voicemail = session.scalar(
        select(Voicemail).where(Voicemail.recording_sid == payload["RecordingSid"])
    )
    if voicemail is None:  # the transcript beat the recording callback: keep it for intake
        session.merge(JobState(name=_early_key(payload["RecordingSid"]), value=json.dumps(payload)))
        session.commit()
        return
    completed = payload.get("TranscriptionStatus") == COMPLETED
    voicemail.transcription_status = COMPLETED if completed else FAILED
    voicemail.transcription_text = (payload.get("TranscriptionText") or "").strip() or None
    session.commit()
    log.info("transcript received", status=voicemail.transcription_status)
    from voicemail.tasks import process_voicemail

    queue_or_keep(process_voicemail, voicemail.id)  # stops the emails' wait
