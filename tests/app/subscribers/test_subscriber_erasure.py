"""Deleting a subscriber erases all their voicemails, whatever their age, and reliably."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db, jobs
from app.models import (
    Call,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Subscriber,
    Voicemail,
    VoicemailStatus,
    utcnow,
)
from app.retention.inflight import PROCESSING_GRACE
from app.security.tokens import create_token
from app.subscribers.records import delete_subscriber
from app.twilio.simulator.media_server import MediaServer
from tests.app.retention_seed import (
    CALLER,
    Seeder,
    assert_purged,
    assert_untouched,
    drop_scheduled_retries,
    fresh,
    outbox_files,
    recording_path,
)
from tests.helpers import wait_until

NUMBER, OTHER = "+14155550100", "+14155550101"


@pytest.fixture
def sick_twilio(app: Flask, media: MediaServer) -> Iterator[dict[str, int]]:
    """Paths the Twilio stand-in answers with an error status; cleared after the test, with the
    erasure job's retries still scheduled (they would run against a later test's rows)."""
    yield media.state.rest_errors
    media.state.rest_errors.clear()
    drop_scheduled_retries(app)


def api_delete(client: FlaskClient, subscriber_id: int) -> None:
    _row, secret = create_token(db.session(), "noc")
    db.session.commit()
    answer = client.delete(
        f"/api/v1/subscribers/{subscriber_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 204, answer.text


def test_deleting_a_subscriber_erases_all_their_voicemails(
    seed: Seeder, subscriber: Any, client: FlaskClient, media: MediaServer, outbox: Path
) -> None:
    theirs, others = subscriber(NUMBER), subscriber(OTHER)
    recent, old = seed.voicemail(theirs, days_old=0.01), seed.voicemail(theirs, days_old=400)
    kept = seed.voicemail(others, days_old=0.01)
    missed = Call(call_sid="CA" + "7" * 32, subscriber_id=theirs.id, from_number=CALLER)
    db.session.add(missed)  # a caller who left no message
    db.session.commit()

    api_delete(client, theirs.id)
    assert jobs.wait_idle(30)  # the erasure job

    assert_purged(recent, media)
    assert_purged(old, media)
    assert fresh(Call, missed.id).from_number is None
    assert_untouched(kept, media)
    [left] = outbox_files(outbox)
    assert kept.recording_sid in left.read_text()
    assert db.session.get(Subscriber, theirs.id) is None
    assert fresh(Voicemail, recent.voicemail_id).subscriber_id is None  # the row stays, unlinked


def test_an_erasure_that_fails_is_finished_by_the_periodic_purge(
    seed: Seeder, subscriber: Any, media: MediaServer, sick_twilio: dict[str, int], cli: Any
) -> None:
    row = subscriber(NUMBER)
    seeded = seed.voicemail(row, days_old=1)
    sick_twilio[recording_path(seeded.recording_sid)] = 500

    delete_subscriber(db.session(), row)
    wait_until(lambda: fresh(Voicemail, seeded.voicemail_id).purge_error)  # the job failed

    voicemail = fresh(Voicemail, seeded.voicemail_id)
    assert voicemail.purge_requested_at is not None and voicemail.purged_at is None
    assert voicemail.caller_number is None and voicemail.transcription_text is None  # at once
    assert "Twilio answered HTTP 500" in (voicemail.purge_error or "")

    sick_twilio.clear()
    result = cli("purge")  # what the periodic purge runs, every 10 minutes
    assert result.exit_code == 0, result.output
    assert "0 recorded before" in result.output and "1 of deleted subscribers" in result.output
    assert_purged(seeded, media)


def test_unsent_emails_are_cancelled_and_unprocessed_voicemails_stopped(
    seed: Seeder, subscriber: Any, media: MediaServer
) -> None:
    row = subscriber(NUMBER)
    owed = seed.voicemail(row, days_old=0.01, emailed=False, delivery_state=DeliveryState.PENDING)
    unprocessed = seed.voicemail(row, days_old=0.01, status=VoicemailStatus.RECEIVED)

    delete_subscriber(db.session(), row)
    assert jobs.wait_idle(30)

    delivery = fresh(Delivery, owed.delivery_ids[0])
    assert delivery.state == DeliveryState.FAILED and "erased" in (delivery.last_error or "")
    assert_purged(owed, media)
    stopped = fresh(Voicemail, unprocessed.voicemail_id)
    assert stopped.status == VoicemailStatus.FAILED  # no job will fetch or email it now
    # Its voicemail job might still be storing audio: it is finished after the grace period.
    assert stopped.purged_at is None and unprocessed.recording_sid not in media.state.recordings
    stopped.purge_requested_at = utcnow() - PROCESSING_GRACE
    db.session.commit()
    from app.retention import purge_expired

    assert purge_expired().complete
    assert fresh(Voicemail, unprocessed.voicemail_id).purged_at is not None


def test_an_email_being_sent_right_now_is_waited_for_and_a_dead_ones_abandoned(
    seed: Seeder, subscriber: Any, media: MediaServer, cli: Any
) -> None:
    row = subscriber(NUMBER)
    busy = seed.voicemail(row, days_old=1, emailed=False, delivery_state=DeliveryState.SENDING)
    dead = seed.voicemail(row, days_old=1, emailed=False, delivery_state=DeliveryState.SENDING)
    for seeded, minutes_ago in ((busy, 0), (dead, 10)):
        at = utcnow() - timedelta(minutes=minutes_ago)
        db.session.add(
            DeliveryAttempt(delivery_id=seeded.delivery_ids[0], provider="maildir", at=at)
        )
    db.session.commit()

    delete_subscriber(db.session(), row)
    assert jobs.wait_idle(30)
    result = cli("purge")

    assert result.exit_code == 0, result.output
    assert f"handed to the mail relay right now (delivery {busy.delivery_ids[0]})" in result.output
    assert fresh(Voicemail, busy.voicemail_id).purged_at is None
    assert fresh(Delivery, busy.delivery_ids[0]).state == DeliveryState.SENDING
    assert_purged(dead, media)
    assert fresh(Delivery, dead.delivery_ids[0]).state == DeliveryState.FAILED
    # Everything but the stamp is done for the busy one too: its copies are gone already.
    assert busy.recording_sid not in media.state.recordings
    assert fresh(Voicemail, busy.voicemail_id).caller_number is None
