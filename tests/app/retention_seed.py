"""Voicemails as the pipeline leaves them, aged: rows, stored audio, Twilio's copies, emails.

Built directly (the job functions are called in this process), so the tests know exactly which
copies exist wherever the suite's worker runs.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from rq import Queue

from app.core.extensions import db, storage
from app.core.jobs import ThreadBackend
from app.models import Call, Delivery, DeliveryState, Subscriber, Voicemail, VoicemailStatus, utcnow
from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import MediaServer, Recording
from forwarding.mailer import MaildirMailer
from forwarding.tasks import send_voicemail_email
from tests.support.twilio import ACCOUNT_SID

CALLER = "+14155550123"
CALLER_NAME = "JANE ROE"
TRANSCRIPT = "Hi, it is Jane, please call me back about invoice 4471."


@dataclass
class Seeded:
    """One seeded voicemail and where its copies are."""

    voicemail_id: int
    call_id: int
    recording_sid: str
    keys: list[str]
    transcription_sid: str
    delivery_ids: list[int] = field(default_factory=list)


class Seeder:
    """Makes voicemails of `subscriber`, `days_old` days old, with every copy a real one has."""

    def __init__(self, media: MediaServer) -> None:
        self.media = media

    def voicemail(
        self,
        subscriber: Subscriber | None,
        days_old: float,
        *,
        emailed: bool = True,
        delivery_state: DeliveryState | None = None,
        status: VoicemailStatus = VoicemailStatus.STORED,
    ) -> Seeded:
        then = utcnow() - timedelta(days=days_old)
        recording_sid = "RE" + secrets.token_hex(16)
        self.media.state.recordings[recording_sid] = Recording(make_wav(1.0))
        transcription_sid = "TR" + secrets.token_hex(16)
        self.media.state.transcriptions[transcription_sid] = recording_sid
        call = Call(
            call_sid="CA" + secrets.token_hex(16),
            subscriber_id=subscriber.id if subscriber else None,
            from_number=CALLER,
            caller_name=CALLER_NAME,
            to_number=subscriber.number if subscriber else None,
            outcome="voicemail",
            created_at=then,
        )
        db.session.add(call)
        db.session.flush()
        stored = status in (VoicemailStatus.STORED, VoicemailStatus.HELD)
        base = f"voicemails/{then:%Y/%m/%d}/{recording_sid}"
        voicemail = Voicemail(
            recording_sid=recording_sid,
            account_sid=ACCOUNT_SID,
            call_sid=call.call_sid,
            call_id=call.id,
            subscriber_id=subscriber.id if subscriber else None,
            caller_number=CALLER,
            caller_name=CALLER_NAME,
            status=status,
            original_key=f"{base}.wav" if stored else None,
            mp3_key=f"{base}.mp3" if stored else None,
            duration_ms=1000,
            recorded_at=then,
            processed_at=then if stored else None,
            transcription_status="completed",
            transcription_text=TRANSCRIPT,
        )
        db.session.add(voicemail)
        keys = []
        if stored:
            storage().put(f"{base}.wav", make_wav(1.0), "audio/wav")
            storage().put(f"{base}.mp3", b"ID3" + secrets.token_bytes(64), "audio/mpeg")
            keys = [f"{base}.wav", f"{base}.mp3"]
        db.session.commit()
        seeded = Seeded(voicemail.id, call.id, recording_sid, keys, transcription_sid)
        if stored and (emailed or delivery_state):
            seeded.delivery_ids.append(self._deliver(voicemail, emailed, delivery_state))
        return seeded

    def _deliver(self, voicemail: Voicemail, emailed: bool, state: DeliveryState | None) -> int:
        delivery = Delivery(voicemail_id=voicemail.id, address="office@acme.example")
        db.session.add(delivery)
        db.session.commit()
        if emailed:  # the real email job, into the Maildir outbox
            send_voicemail_email(delivery.id)
        if state is not None:
            delivery.state = state
        db.session.commit()
        return delivery.id


def retention_app(app: Flask) -> Path:
    """Set the app up as on the embedded defaults: mail into an emptied Maildir outbox (the
    configured one, which the suite's worker purges too), and the default 90 days' retention.
    Returns the outbox."""
    path = Path(app.config["BACKLINE_OUTBOX"])
    shutil.rmtree(path, ignore_errors=True)
    app.extensions["backline.mailer"] = MaildirMailer(path)
    app.config["BACKLINE_RETENTION_DAYS"] = 90
    return path


def drop_scheduled_retries(app: Flask) -> None:
    """Forget erasure retries a test left scheduled: they would run among a later test's rows."""
    backend = app.extensions["backline.jobs"]
    if isinstance(backend, ThreadBackend):
        with backend._condition:
            backend._pending.clear()
        return
    queue = Queue("voicemail", connection=backend.connection)
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id, delete_job=True)


def outbox_files(path: Path) -> list[Path]:
    return sorted(p for folder in ("new", "cur", "tmp") for p in (path / folder).glob("*"))


def recording_path(recording_sid: str) -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}.json"


def twilio_deletes(media: MediaServer) -> list[str]:
    return [r["path"] for r in media.state.requests if r["method"] == "DELETE"]


def assert_purged(seeded: Seeded, media: MediaServer) -> None:
    """No copy of the voicemail anywhere; its rows kept, anonymised and stamped."""
    voicemail = fresh(Voicemail, seeded.voicemail_id)
    assert voicemail is not None and voicemail.purged_at is not None, voicemail.purge_error
    assert (voicemail.caller_number, voicemail.caller_name, voicemail.transcription_text) == (
        None,
        None,
        None,
    )
    assert (voicemail.original_key, voicemail.mp3_key, voicemail.purge_error) == (None, None, None)
    assert voicemail.deleted_from_twilio_at is not None
    call = db.session.get(Call, seeded.call_id)
    assert (call.from_number, call.caller_name) == (None, None) and call.purged_at is not None
    assert not any(storage().exists(key) for key in seeded.keys)
    assert seeded.recording_sid not in media.state.recordings
    assert seeded.transcription_sid not in media.state.transcriptions


def assert_untouched(seeded: Seeded, media: MediaServer) -> None:
    voicemail = fresh(Voicemail, seeded.voicemail_id)
    assert voicemail.purged_at is None and voicemail.caller_number == CALLER
    assert voicemail.transcription_text and voicemail.original_key
    assert db.session.get(Call, seeded.call_id).from_number == CALLER
    assert all(storage().exists(key) for key in seeded.keys)
    assert seeded.recording_sid in media.state.recordings
    assert seeded.transcription_sid in media.state.transcriptions


def fresh(model: Any, row_id: int) -> Any:
    """The row as the database has it now."""
    db.session.expire_all()
    return db.session.get(model, row_id)
