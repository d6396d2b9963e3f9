"""The reconciler: recordings Twilio has that Backline never heard about.

Backline can miss a recording callback (it was down, the network dropped it). Every few minutes
this lists the account's recordings since a stored watermark and ingests any it has never seen,
exactly as if the callback had arrived. Nothing is lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime  # RFC 2822, as Twilio writes times

import structlog
from flask import current_app
from sqlalchemy import select

from app.core.config import uses_development_twilio
from app.core.extensions import db
from app.models import Voicemail, utcnow
from app.models.job_state import JobState
from app.twilio.rest import RecordingFacts, twilio_rest
from voicemail.views import accept_callback

log = structlog.get_logger(__name__)

WATERMARK = "reconciler.watermark"
FIRST_LOOK_BACK = timedelta(days=1)  # on the very first run
OVERLAP = timedelta(days=1)  # Twilio filters by date; look at the whole previous day again


def reconcile_recordings() -> int:
    """Ingest completed <Record> recordings Backline has no voicemail for; return how many."""
    if uses_development_twilio(current_app.config):
        return 0  # no real account: simulate-call's recordings have their callbacks
    started = utcnow()
    since = (_watermark() or started - FIRST_LOOK_BACK) - OVERLAP
    ingested = 0
    with twilio_rest(current_app.config) as api:
        for recording in api.recordings_since(since.date()):
            if _wanted(recording) and not _known(recording.sid):
                accept_callback({"form": _as_callback(recording), "token": None})
                ingested += 1
    _set_watermark(started)
    if ingested:
        log.warning("reconciler found recordings whose callback never arrived", ingested=ingested)
    return ingested


def _wanted(recording: RecordingFacts) -> bool:
    # Only messages left in Backline's own <Record>: not conference or dial recordings.
    return recording.status == "completed" and recording.source == "RecordVerb"


def _known(recording_sid: str) -> bool:
    return (
        db.session.scalar(select(Voicemail.id).where(Voicemail.recording_sid == recording_sid))
        is not None
    )


def _as_callback(recording: RecordingFacts) -> dict[str, str]:
    started = recording.start_time
    return {
        "AccountSid": recording.account_sid,
        "CallSid": recording.call_sid or "",
        "RecordingSid": recording.sid,
        "RecordingDuration": recording.duration or "",
        "RecordingStartTime": format_datetime(started) if started else "",
        "RecordingStatus": "completed",
    }


def _watermark() -> datetime | None:
    row = db.session.get(JobState, WATERMARK)
    return datetime.fromisoformat(row.value) if row else None


def _set_watermark(moment: datetime) -> None:
    row = db.session.get(JobState, WATERMARK) or JobState(name=WATERMARK, value="")
    row.value = moment.isoformat()
    db.session.add(row)
    db.session.commit()
