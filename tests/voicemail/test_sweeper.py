"""Work whose job was lost is found again and delivered once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from rq import Queue
from sqlalchemy import func, select, update

from app import create_app
from app.core.extensions import db, jobs, redis_client
from app.models import Delivery, Voicemail, VoicemailStatus, utcnow
from app.resilience.pending import pending_count, replay_pending
from tests.conftest import SmtpSink, TwilioHelper
from tests.helpers import free_port
from tests.support.app_state import built_app
from tests.support.redis_faults import RedisServer
from voicemail.sweeper import sweep_voicemails
from voicemail.tasks import process_voicemail


def _age_voicemails(minutes: int = 10) -> None:
    db.session.execute(update(Voicemail).values(recorded_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def _count(model: type) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_callback_that_arrives_while_redis_is_down_is_delivered_later(
    app: Flask,
    settings: dict[str, Any],
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    tmp_path: Path,
) -> None:
    subscriber(number="+14155550100")
    outage()
    no_redis = create_app(
        {
            **settings,
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "STORAGE_URL": tmp_path.as_uri(),  # its kept job is not for the suite's worker
        }
    )
    helper = TwilioHelper(no_redis.test_client(), twilio.media)
    with no_redis.app_context():
        helper.leave_voicemail("+14155550100", seconds=2)  # 204: the row is enough
        assert pending_count() == 1  # and its job is kept for when Redis answers
    jobs.wait_idle(5)
    assert smtp.messages == []
    db.session.rollback()
    assert db.session.scalar(select(Voicemail.status)) == VoicemailStatus.RECEIVED

    assert sweep_voicemails() == 0  # too fresh: its own job may still be on the way
    _age_voicemails()
    assert sweep_voicemails() == 1
    smtp.wait_for(1)
    jobs.wait_idle(10)
    assert len(smtp.messages) == 1


def test_a_job_kept_while_redis_was_down_is_queued_once_when_it_answers(
    app: Flask,
    settings: dict[str, Any],
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    tmp_path: Path,
) -> None:
    subscriber(number="+14155550100")
    outage()
    server = RedisServer()  # not started yet: connections are refused
    own = {**settings, "REDIS_URL": server.url(), "STORAGE_URL": tmp_path.as_uri()}
    with built_app(own) as web, web.app_context():
        TwilioHelper(web.test_client(), twilio.media).leave_voicemail("+14155550100", seconds=2)
        assert pending_count() == 1
    # Redis answers; the replay runs in another process, whose breaker saw no failure.
    with server, built_app(own) as replayer, replayer.app_context():
        assert replay_pending() == 1
        assert replay_pending() == 0  # applied entries are gone: queued exactly once
        assert pending_count() == 0
        assert Queue("voicemail", connection=redis_client()).count == 1


def test_two_jobs_processing_the_same_voicemail_send_one_email(
    app: Flask, twilio: TwilioHelper, smtp: SmtpSink
) -> None:
    recording = twilio.add_recording(2)
    voicemail = Voicemail(
        recording_sid=recording,
        account_sid=twilio.media.state.account_sid,
        call_sid="CA" + "9" * 32,
    )
    db.session.add(voicemail)
    db.session.commit()
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                process_voicemail(voicemail.id)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    smtp.wait_for(1)
    jobs.wait_idle(10)
    assert len(smtp.messages) == 1
    assert _count(Delivery) == 1


def test_the_sweeper_leaves_processed_and_failed_voicemails_alone(app: Flask) -> None:
    for index, status in enumerate(
        (VoicemailStatus.STORED, VoicemailStatus.FAILED, VoicemailStatus.HELD)
    ):
        db.session.add(
            Voicemail(
                recording_sid=f"RE{index:032d}",
                account_sid="AC" + "0" * 32,
                call_sid="CA" + "1" * 32,
                status=status,
            )
        )
    db.session.commit()
    _age_voicemails()
    assert sweep_voicemails() == 0
