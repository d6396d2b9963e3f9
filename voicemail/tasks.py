"""The voicemail job: fetch the recording, convert it, store it, create its deliveries."""

from __future__ import annotations

from datetime import timedelta

import structlog
from flask import current_app
from sqlalchemy import update

from app.core.extensions import db, jobs, storage
from app.core.jobs import job
from app.models import OWED_STATES, Delivery, Subscriber, Voicemail, VoicemailStatus, utcnow
from forwarding.tasks import send_voicemail_email
from forwarding.voicemail_alerts import alert_voicemail_failed
from voicemail import transcription
from voicemail.attribution import attribute_unknown_call
from voicemail.audio import AudioError, wav_to_mp3
from voicemail.cleanup import delete_from_twilio
from voicemail.download import (
    DownloadError,
    DownloadPolicy,
    RecordingRejected,
    download_recording,
    parse_allowed_hosts,
    recording_url,
)

log = structlog.get_logger(__name__)

# How long a recording that Twilio cannot serve yet (404, 5xx) is retried before it is failed.
DOWNLOAD_PATIENCE = timedelta(minutes=5)


@job("voicemail", timeout=600, retry_intervals=(5, 15, 30, 60, 90, 120))
def process_voicemail(voicemail_id: int) -> None:
    """Fetch, convert and store one voicemail, then queue its emails.

    Idempotent: a voicemail already stored only has its unfinished deliveries queued again.
    """
    session = db.session()
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None:
        log.error("voicemail vanished before processing", voicemail_id=voicemail_id)
        return
    structlog.contextvars.bind_contextvars(
        recording_sid=voicemail.recording_sid, call_sid=voicemail.call_sid
    )
    if voicemail.status == VoicemailStatus.RECEIVED:
        _fetch_and_store(voicemail)
    if voicemail.status == VoicemailStatus.STORED:
        if transcription.still_waiting(voicemail):
            raise transcription.TranscriptPending("waiting for Twilio's transcript")
        _queue_deliveries(voicemail)


def _fetch_and_store(voicemail: Voicemail) -> None:
    session = db.session()
    try:
        wav = _download(voicemail)
        converted = wav_to_mp3(wav)
    except (RecordingRejected, AudioError) as exc:
        _fail(voicemail, str(exc))
        return
    except DownloadError as exc:
        if utcnow() - voicemail.recorded_at > DOWNLOAD_PATIENCE:
            _fail(voicemail, f"gave up after {DOWNLOAD_PATIENCE}: {exc}")
            return
        voicemail.error = str(exc)
        session.commit()
        raise
    base = f"voicemails/{voicemail.recorded_at:%Y/%m/%d}/{voicemail.recording_sid}"
    storage().put(f"{base}.wav", wav, "audio/wav")
    storage().put(f"{base}.mp3", converted.mp3, "audio/mpeg")
    short = converted.duration_ms < 1000 * current_app.config["BACKLINE_MIN_RECORDING_SECONDS"]
    if not _claim(voicemail, VoicemailStatus.HELD if short else VoicemailStatus.STORED):
        return
    voicemail.original_key, voicemail.mp3_key = f"{base}.wav", f"{base}.mp3"
    voicemail.duration_ms = converted.duration_ms
    voicemail.processed_at = utcnow()
    voicemail.error = None
    attribute_unknown_call(voicemail)
    if short:  # listed in the outage summary, not emailed
        log.info(
            "voicemail shorter than the minimum; not emailed", duration_ms=converted.duration_ms
        )
    else:
        _create_deliveries(voicemail)
    session.commit()
    log.info("voicemail stored", voicemail_id=voicemail.id, duration_ms=converted.duration_ms)
    if current_app.config["BACKLINE_DELETE_FROM_TWILIO"]:
        jobs.enqueue(delete_from_twilio, voicemail.id)


def _claim(voicemail: Voicemail, status: VoicemailStatus) -> bool:
    """Move the voicemail out of `received`, unless another job already did (then stop)."""
    session = db.session()
    moved = session.execute(
        update(Voicemail)
        .where(Voicemail.id == voicemail.id, Voicemail.status == VoicemailStatus.RECEIVED)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        voicemail.status = status
        return True
    session.rollback()
    session.refresh(voicemail)
    log.info("voicemail already processed by another job", status=voicemail.status)
    return False


def _download(voicemail: Voicemail) -> bytes:
    config = current_app.config
    # Our account as configured: the callback's AccountSid was checked to name it (in any case).
    url = recording_url(
        config["TWILIO_API_URL"], config["TWILIO_ACCOUNT_SID"], voicemail.recording_sid
    )
    policy = DownloadPolicy(
        allowed_hosts=parse_allowed_hosts(config["BACKLINE_RECORDING_HOSTS"]),
        max_bytes=config["BACKLINE_RECORDING_MAX_BYTES"],
        https_only=config["BACKLINE_ENV"] == "production",
    )
    auth = (config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    return download_recording(url, auth, policy)


def _fail(voicemail: Voicemail, reason: str) -> None:
    voicemail.status = VoicemailStatus.FAILED
    voicemail.error = reason
    db.session.commit()
    log.error("voicemail failed", voicemail_id=voicemail.id, reason=reason)

    jobs.enqueue(alert_voicemail_failed, voicemail.id)


def recipients(voicemail: Voicemail) -> list[str]:
    """Who gets this voicemail: the called subscriber's addresses, else the admins."""
    subscriber = (
        db.session.get(Subscriber, voicemail.subscriber_id) if voicemail.subscriber_id else None
    )
    if subscriber and subscriber.emails:
        return list(subscriber.emails)
    admin = current_app.config.get("ADMIN_EMAIL")
    return [admin] if admin else []


def _create_deliveries(voicemail: Voicemail) -> None:
    addresses = recipients(voicemail)
    if not addresses:
        voicemail.error = (
            "no address to deliver to: the subscriber has none and ADMIN_EMAIL is unset"
        )
        log.error("voicemail has nobody to go to", voicemail_id=voicemail.id)
    for address in dict.fromkeys(addresses):
        db.session.add(Delivery(voicemail=voicemail, address=address))


def _queue_deliveries(voicemail: Voicemail) -> None:

    for delivery in voicemail.deliveries:
        if delivery.state in OWED_STATES:
            jobs.enqueue(send_voicemail_email, delivery.id)
