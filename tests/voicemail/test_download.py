"""Fetching recordings: what is retried, what fails for good, and that nothing crash-loops."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.core.extensions import db, jobs
from app.models import Voicemail, VoicemailStatus, utcnow
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from voicemail.download import (
    DownloadError,
    DownloadPolicy,
    RecordingNotReady,
    RecordingRejected,
    download_recording,
    recording_url,
)
from voicemail.tasks import process_voicemail


def _policy(media: Any, **changes: Any) -> DownloadPolicy:
    values = {
        "allowed_hosts": (f"127.0.0.1:{media.port}",),
        "max_bytes": 1_000_000,
        "https_only": False,
    }
    return DownloadPolicy(**{**values, **changes})


def _url(media: Any, recording: str) -> str:
    return recording_url(media.url, ACCOUNT_SID, recording)


def test_a_recording_downloads_with_basic_auth(twilio: Any, media: Any) -> None:
    recording = twilio.add_recording(1)
    body = download_recording(_url(media, recording), (ACCOUNT_SID, AUTH_TOKEN), _policy(media))
    assert body.startswith(b"RIFF")


def test_wrong_credentials_are_a_permanent_failure(twilio: Any, media: Any) -> None:
    recording = twilio.add_recording(1)
    with pytest.raises(RecordingRejected, match="401"):
        download_recording(_url(media, recording), (ACCOUNT_SID, "wrong"), _policy(media))


def test_a_missing_recording_is_not_ready_yet(media: Any) -> None:
    with pytest.raises(RecordingNotReady):
        download_recording(_url(media, "RE" + "3" * 32), (ACCOUNT_SID, AUTH_TOKEN), _policy(media))


def test_a_recording_above_the_cap_is_rejected(twilio: Any, media: Any) -> None:
    recording = twilio.add_recording(5)  # 80 kB of audio
    with pytest.raises(RecordingRejected, match="cap"):
        download_recording(
            _url(media, recording), (ACCOUNT_SID, AUTH_TOKEN), _policy(media, max_bytes=10_000)
        )


def test_content_that_is_not_audio_is_rejected(twilio: Any, media: Any) -> None:
    recording = twilio.add_recording(1, content_type="text/html")
    with pytest.raises(RecordingRejected, match="not audio"):
        download_recording(_url(media, recording), (ACCOUNT_SID, AUTH_TOKEN), _policy(media))


def test_plain_http_is_refused_when_https_is_required(twilio: Any, media: Any) -> None:
    recording = twilio.add_recording(1)
    with pytest.raises(RecordingRejected, match="over http"):
        download_recording(
            _url(media, recording), (ACCOUNT_SID, AUTH_TOKEN), _policy(media, https_only=True)
        )


def test_an_unreachable_media_server_is_worth_retrying() -> None:
    url = recording_url("http://127.0.0.1:9", ACCOUNT_SID, "RE" + "4" * 32)
    with pytest.raises(DownloadError):
        download_recording(url, (ACCOUNT_SID, AUTH_TOKEN), DownloadPolicy((), 1000, False))


@pytest.mark.parametrize(
    ("account", "recording"), [("AC123", "RE" + "0" * 32), (ACCOUNT_SID, "RE/../x")]
)
def test_malformed_sids_never_become_a_url(account: str, recording: str) -> None:
    with pytest.raises(RecordingRejected):
        recording_url("https://api.twilio.com", account, recording)


def _voicemail(recording: str, age: timedelta = timedelta()) -> Voicemail:
    row = Voicemail(
        recording_sid=recording,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + "5" * 32,
        recorded_at=utcnow() - age,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_404_right_after_the_callback_is_retried_and_recorded(app: Any) -> None:
    row = _voicemail("RE" + "6" * 32)
    with pytest.raises(RecordingNotReady):
        process_voicemail(row.id)  # the queue retries it
    db.session.refresh(row)
    assert (row.status, "404" in (row.error or "")) == (VoicemailStatus.RECEIVED, True)


def test_a_404_that_outlasts_the_patience_fails_the_voicemail_and_tells_the_admins(
    app: Any, smtp: Any
) -> None:
    row = _voicemail("RE" + "7" * 32, age=timedelta(minutes=10))
    process_voicemail(row.id)  # no exception: no crash loop
    db.session.refresh(row)
    assert row.status == VoicemailStatus.FAILED
    assert "gave up" in (row.error or "")
    [alert] = smtp.wait_for(1)
    assert alert["Subject"].endswith("could not be processed")
    process_voicemail(row.id)  # a repeated job: no second alert
    jobs.wait_idle(5)
    assert len(smtp.messages) == 1


def test_audio_that_cannot_be_decoded_fails_the_voicemail(
    app: Any, twilio: Any, media: Any
) -> None:
    recording = "RE" + "8" * 32
    from app.twilio.simulator.media_server import Recording

    media.state.recordings[recording] = Recording(
        b"definitely not a wav file", content_type="audio/x-wav"
    )
    row = _voicemail(recording)
    process_voicemail(row.id)
    db.session.refresh(row)
    assert row.status == VoicemailStatus.FAILED
    assert "not a readable WAV" in (row.error or "")


def test_processing_a_stored_voicemail_again_changes_nothing(
    app: Any, twilio: Any, smtp: Any
) -> None:
    recording = twilio.add_recording(1)
    row = _voicemail(recording)
    process_voicemail(row.id)
    db.session.refresh(row)
    first = (row.status, row.mp3_key, len(row.deliveries))
    process_voicemail(row.id)
    db.session.refresh(row)
    assert (
        (row.status, row.mp3_key, len(row.deliveries))
        == first
        == (VoicemailStatus.STORED, row.mp3_key, 1)
    )
