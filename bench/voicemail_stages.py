"""Where a voicemail's time goes: the job's steps timed one by one, and the timestamps Backline
itself writes (callback stored, recording stored, email attempt begun) read back per run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from app.core.extensions import db, storage
from app.models import Voicemail
from app.twilio.simulator.media_server import MediaServer, Recording
from voicemail.audio import wav_to_mp3
from voicemail.tasks import _download

from .voicemail_rig import new_sid


@dataclass(frozen=True)
class Milestones:
    """Seconds after the callback was posted at which each step of one voicemail finished."""

    webhook_answered: float
    recording_stored: float  # downloaded, converted, both files stored, deliveries created
    email_started: float  # the email job composed the message and recorded its attempt
    smtp_accepted: float


def milestones(
    app: Flask, recording_sid: str, posted: float, answered: float, accepted: float
) -> Milestones:
    """Read one run's milestones from the rows Backline wrote for it."""
    with app.app_context():
        voicemail = db.session.scalar(
            select(Voicemail).where(Voicemail.recording_sid == recording_sid)
        )
        assert voicemail is not None and voicemail.processed_at is not None
        [delivery] = voicemail.deliveries
        started = delivery.attempts_made[0].at
        return Milestones(
            webhook_answered=answered - posted,
            recording_stored=_epoch(voicemail.processed_at) - posted,
            email_started=_epoch(started) - posted,
            smtp_accepted=accepted - posted,
        )


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def job_steps(app: Flask, media: MediaServer, wav: bytes, repeats: int = 3) -> dict[str, float]:
    """Median seconds of each step of the voicemail job, run here with the worker's code."""
    with app.app_context():
        sid = new_sid("RE")
        media.state.recordings[sid] = Recording(wav)
        fake = Voicemail(account_sid=app.config["TWILIO_ACCOUNT_SID"], recording_sid=sid)
        mp3 = wav_to_mp3(wav).mp3
        return {
            "download (media stand-in, requests)": _median(lambda: _download(fake), repeats),
            "WAV → MP3 (pydub: read, normalise, ffmpeg)": _median(lambda: wav_to_mp3(wav), repeats),
            "storage (WAV + MP3, local files)": _median(
                lambda: _store(f"bench/{sid}", wav, mp3), repeats
            ),
        }


def _store(base: str, wav: bytes, mp3: bytes) -> None:
    storage().put(f"{base}.wav", wav, "audio/wav")
    storage().put(f"{base}.mp3", mp3, "audio/mpeg")


def _median(step: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
