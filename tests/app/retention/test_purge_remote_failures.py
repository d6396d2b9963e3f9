"""`backline purge` with storage or Twilio failing: what stays, and the next run finishing it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.core.extensions import storage
from app.core.periodic import periodic_named, run_once
from app.models import (
    Voicemail,
)
from app.retention import PurgeIncomplete, purge_voicemails_periodically
from app.twilio.simulator.media_server import MediaServer
from tests.app.retention.purge_helpers import NUMBER
from tests.app.retention_seed import (
    Seeder,
    assert_purged,
    fresh,
    recording_path,
    twilio_deletes,
)
from tests.conftest import Invoke
from tests.helpers import free_port
from tests.support.aws import S3Server
from voicemail.storage_s3 import S3Storage


@pytest.fixture
def sick_twilio(media: MediaServer) -> Iterator[dict[str, int]]:
    """Paths the Twilio stand-in answers with an error status; cleared after the test."""
    yield media.state.rest_errors
    media.state.rest_errors.clear()


def test_storage_down_mid_purge_leaves_the_rest_for_the_next_run(
    seed: Seeder, subscriber: Any, s3: S3Server, s3_storage: S3Storage, cli: Invoke, media: Any
) -> None:
    row = subscriber(NUMBER)
    first, second = seed.voicemail(row, days_old=100), seed.voicemail(row, days_old=95)

    with s3.down():
        interrupted = cli("purge")

    assert interrupted.exit_code == 1
    assert "Failed (2): copies remain" in interrupted.stderr
    assert f"voicemail {first.voicemail_id} ({first.recording_sid}): storage:" in interrupted.stderr
    for seeded in (first, second):
        voicemail = fresh(Voicemail, seeded.voicemail_id)
        assert voicemail.purged_at is None and "storage" in (voicemail.purge_error or "")
        assert voicemail.original_key  # still known: the next run deletes it
        assert voicemail.caller_number is None and voicemail.transcription_text is None
        assert voicemail.deleted_from_twilio_at is not None  # Twilio's part is done
    deletes_so_far = len(twilio_deletes(media))

    resumed = cli("purge")

    assert resumed.exit_code == 0, resumed.output
    assert "Purged 2 voicemail(s)" in resumed.output
    assert_purged(first, media)
    assert_purged(second, media)
    assert len(twilio_deletes(media)) == deletes_so_far  # nothing at Twilio asked twice


def test_twilio_answering_500_keeps_the_voicemail_unpurged_until_it_recovers(
    seed: Seeder, subscriber: Any, media: MediaServer, sick_twilio: dict[str, int], cli: Invoke
) -> None:
    old = seed.voicemail(subscriber(NUMBER), days_old=100)
    sick_twilio[recording_path(old.recording_sid)] = 500

    failed = cli("purge")

    assert failed.exit_code == 1
    assert "Twilio: Twilio answered HTTP 500" in failed.stderr
    voicemail = fresh(Voicemail, old.voicemail_id)
    assert voicemail.purged_at is None and voicemail.deleted_from_twilio_at is None
    assert not any(storage().exists(key) for key in old.keys)  # the other copies went

    sick_twilio.clear()
    assert cli("purge").exit_code == 0
    assert_purged(old, media)


def test_a_recording_twilio_no_longer_has_counts_as_deleted(
    seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    old = seed.voicemail(subscriber(NUMBER), days_old=100)
    media.state.recordings.pop(old.recording_sid)  # Twilio answers 404

    result = cli("purge")

    assert result.exit_code == 0, result.output
    assert_purged(old, media)


def test_twilio_unreachable_is_tried_three_times_then_left_for_the_next_run(
    app: Flask, seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    row = subscriber(NUMBER)
    voicemails = [seed.voicemail(row, days_old=100 - n, emailed=False) for n in range(4)]
    app.config["TWILIO_API_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    result = cli("purge")

    assert result.exit_code == 1
    assert "Could not reach the Twilio API" in result.stderr
    assert "not tried, after 3 failures in a row" in result.stderr
    assert fresh(Voicemail, voicemails[3].voicemail_id).purge_error.startswith("Twilio: not tried")
    assert all(fresh(Voicemail, v.voicemail_id).purged_at is None for v in voicemails)


def test_the_periodic_purge_runs_and_raises_while_copies_remain(
    app: Flask, seed: Seeder, subscriber: Any, media: MediaServer, sick_twilio: dict[str, int]
) -> None:
    row = subscriber(NUMBER)
    done, stuck = seed.voicemail(row, days_old=100), seed.voicemail(row, days_old=100)
    sick_twilio[recording_path(stuck.recording_sid)] = 503

    with pytest.raises(PurgeIncomplete, match=f"voicemail {stuck.voicemail_id}"):
        purge_voicemails_periodically()

    assert_purged(done, media)
    sick_twilio.clear()
    assert run_once(periodic_named("purge-voicemails"))  # the job table includes the purge
    assert_purged(stuck, media)
