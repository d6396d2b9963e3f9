"""Retention: `backline purge` erases every copy of old voicemails, and only of old ones.

Real stand-ins throughout: local files or S3 (moto, versioned bucket) for storage, the Twilio
stand-in for recordings and transcriptions, a Maildir outbox written by the real email job.
Storage or Twilio failing mid-purge is in test_purge_remote_failures.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.core.config import ConfigError, load_settings
from app.core.extensions import db
from app.models import Call, Delivery, DeliveryState, Subscriber, Voicemail, VoicemailStatus, utcnow
from app.security.listen_links import listen_url
from app.twilio.simulator.media_server import MediaServer
from forwarding.resend import ResendRefused, retryable
from tests.app.retention.purge_helpers import NUMBER
from tests.app.retention_seed import (
    CALLER,
    Seeder,
    assert_purged,
    assert_untouched,
    fresh,
    outbox_files,
    recording_path,
    twilio_deletes,
)
from tests.conftest import Invoke
from tests.support.aws import S3Server
from voicemail.storage_s3 import S3Storage


def missed_call(row: Subscriber, days_old: float) -> int:
    """A caller who reached the outage line and left no message."""
    created = utcnow() - timedelta(days=days_old)
    call_sid = "CA" + secrets.token_hex(16)
    call = Call(
        call_sid=call_sid,
        subscriber_id=row.id,
        from_number=CALLER,
        outcome="ivr",
        created_at=created,
    )
    db.session.add(call)
    db.session.commit()
    return call.id


def test_purge_erases_every_copy_of_an_old_voicemail_and_keeps_its_row(
    seed: Seeder, subscriber: Any, outbox: Path, media: MediaServer, cli: Invoke, client: Any
) -> None:
    old = seed.voicemail(subscriber(NUMBER), days_old=91)
    assert len(outbox_files(outbox)) == 1  # the Maildir copy, MP3 attached
    link = listen_url(old.voicemail_id)

    result = cli("purge")

    assert result.exit_code == 0, result.output
    assert "Purged 1 voicemail(s): 1 recorded before" in result.output
    assert_purged(old, media)
    assert outbox_files(outbox) == []
    assert recording_path(old.recording_sid) in twilio_deletes(media)
    assert db.session.scalar(select(func.count()).select_from(Voicemail)) == 1  # counts remain
    assert client.get(link.split("backline.example.test", 1)[1]).status_code == 404
    with pytest.raises(ResendRefused, match="no stored audio"):
        retryable(db.session(), old.delivery_ids[0])


def test_nothing_younger_than_the_cutoff_is_touched(
    seed: Seeder, subscriber: Any, outbox: Path, media: MediaServer, cli: Invoke
) -> None:
    row = subscriber(NUMBER)
    old, young = seed.voicemail(row, days_old=31), seed.voicemail(row, days_old=29)
    missed_old, missed_young = missed_call(row, days_old=31), missed_call(row, days_old=29)

    result = cli("purge", "--older-than", "30")

    assert result.exit_code == 0, result.output
    assert_purged(old, media)
    assert_untouched(young, media)
    [left] = outbox_files(outbox)
    assert young.recording_sid in left.read_text()
    assert "Anonymised the callers of 1 more call(s)" in result.output
    assert fresh(Call, missed_old).from_number is None
    assert fresh(Call, missed_young).from_number == CALLER


def test_the_default_cutoff_is_backline_retention_days(
    app: Flask, seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    row = subscriber(NUMBER)
    app.config["BACKLINE_RETENTION_DAYS"] = 10
    old, young = seed.voicemail(row, days_old=11), seed.voicemail(row, days_old=9)
    assert cli("purge").exit_code == 0
    assert_purged(old, media)
    assert_untouched(young, media)


def test_every_s3_version_and_delete_marker_goes(
    seed: Seeder, subscriber: Any, s3: S3Server, s3_storage: S3Storage, cli: Invoke, media: Any
) -> None:
    old = seed.voicemail(subscriber(NUMBER), days_old=100)
    client = s3.client()
    wav = s3_storage.prefix + old.keys[0]
    client.put_object(Bucket=s3.bucket, Key=wav, Body=b"reprocessed")  # a second version
    client.delete_object(Bucket=s3.bucket, Key=wav)  # hidden behind a delete marker, not gone

    result = cli("purge")

    assert result.exit_code == 0, result.output
    listing = client.list_object_versions(Bucket=s3.bucket, Prefix=s3_storage.prefix)
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == []
    assert_purged(old, media)


def test_a_rerun_is_idempotent(
    seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    old = seed.voicemail(subscriber(NUMBER), days_old=100)
    assert cli("purge").exit_code == 0
    requests_after_first = len(media.state.requests)
    purged_at = fresh(Voicemail, old.voicemail_id).purged_at

    again = cli("purge")

    assert again.exit_code == 0, again.output
    assert "Purged 0 voicemail(s)" in again.output
    assert len(media.state.requests) == requests_after_first  # Twilio not asked again
    assert fresh(Voicemail, old.voicemail_id).purged_at == purged_at


def test_a_voicemail_whose_email_is_still_owed_waits(
    seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    row = subscriber(NUMBER)
    owed = seed.voicemail(row, days_old=100, emailed=False, delivery_state=DeliveryState.PENDING)
    unprocessed = seed.voicemail(row, days_old=100, status=VoicemailStatus.RECEIVED)

    result = cli("purge")

    assert result.exit_code == 0, result.output  # in flight is not a failure
    assert "still in flight (2" in result.output
    assert f"delivery {owed.delivery_ids[0]} is pending" in result.output
    assert "not processed yet" in result.output
    assert_untouched(owed, media)
    assert fresh(Voicemail, unprocessed.voicemail_id).status == VoicemailStatus.RECEIVED
    assert fresh(Delivery, owed.delivery_ids[0]).state == DeliveryState.PENDING


def test_an_email_still_delayed_when_retention_ends_is_failed_and_the_voicemail_purged(
    seed: Seeder, subscriber: Any, media: MediaServer, cli: Invoke
) -> None:
    """A delayed email is retried until it is sent or its voicemail's retention ends."""
    delayed = seed.voicemail(
        subscriber(NUMBER), days_old=100, emailed=False, delivery_state=DeliveryState.DELAYED
    )

    result = cli("purge")

    assert result.exit_code == 0, result.output
    assert "Purged 1 voicemail(s)" in result.output
    assert fresh(Voicemail, delayed.voicemail_id).purged_at is not None
    delivery = fresh(Delivery, delayed.delivery_ids[0])
    assert delivery.state == DeliveryState.FAILED
    assert "end of its retention" in (delivery.last_error or "")


def test_a_failed_voicemail_loses_twilios_copy_and_the_admins_alert(
    seed: Seeder, subscriber: Any, media: MediaServer, outbox: Path, cli: Invoke
) -> None:
    from forwarding.voicemail_alerts import alert_voicemail_failed

    failed = seed.voicemail(subscriber(NUMBER), days_old=100, status=VoicemailStatus.FAILED)
    alert_voicemail_failed(failed.voicemail_id)  # names the caller; into the outbox
    assert len(outbox_files(outbox)) == 1

    assert cli("purge").exit_code == 0
    assert_purged(failed, media)
    assert outbox_files(outbox) == []


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("0", "0 is not a number of days from 1 to 36500"),
        ("-5", "-5 is not a number of days from 1 to 36500"),
        ("99999999", "is not a number of days from 1 to 36500"),
        ("ninety", "'ninety' is not a whole number of days"),
        ("1.5", "'1.5' is not a whole number of days"),
    ],
)
def test_bad_older_than_values_get_a_clear_message(cli: Invoke, value: str, complaint: str) -> None:
    result = cli("purge", "--older-than", value)
    assert result.exit_code == 2
    assert "Invalid value for '--older-than'" in result.output and complaint in result.output


@pytest.mark.parametrize("value", ["0", "36501", "a quarter"])
def test_a_bad_retention_setting_stops_start_up(value: str) -> None:
    with pytest.raises(ConfigError, match="BACKLINE_RETENTION_DAYS"):
        load_settings({"BACKLINE_ENV": "test", "BACKLINE_RETENTION_DAYS": value})
