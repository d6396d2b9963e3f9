"""Redis is killed (SIGKILL) while `backline worker` runs a job, and comes back empty.

The worker is mid-download of a voicemail, with an outage update's notice queued behind it, when
Redis dies; it has no persistence, so the queue and the notice's job are gone when it restarts.
The worker must stay up, wait for Redis as it does at start-up and take jobs again; the database
then drives the voicemail's email and the notice to delivery, each exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Delivery, Outage
from app.outages.lifecycle import update_outage
from tests.conftest import SmtpSink
from tests.helpers import settings_env, wait_until
from tests.support.app_state import built_app
from tests.support.processes import start_worker, stop
from tests.support.redis_faults import RedisServer
from tests.support.twilio import TwilioHelper

pytestmark = pytest.mark.slow

NUMBER = "+14155550100"
WAITING = "Redis is not answering; waiting for it"


def _deliveries() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Delivery)) or 0)


def test_the_worker_outlives_redis_and_the_voicemail_and_notice_go_out_once(
    app: Flask,
    settings: dict[str, Any],
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    tmp_path: Path,
) -> None:
    subscriber(number=NUMBER)
    outage_id = outage().id
    log = tmp_path / "worker.log"
    with RedisServer() as server:
        own = {
            **settings,
            "REDIS_URL": server.url(),
            "STORAGE_URL": (tmp_path / "storage").as_uri(),
            "BACKLINE_SWEEP_AFTER_SECONDS": 1,
            "BACKLINE_LOG_FORMAT": "json",  # the console's tracebacks with locals take seconds
        }
        worker = start_worker(settings_env(own), log)
        try:
            with built_app(own) as web, web.app_context():
                helper = TwilioHelper(web.test_client(), twilio.media)
                call = helper.call_params(NUMBER)
                assert helper.post("/ivr/voice", call).status_code == 200
                recording = helper.add_recording(2, delay=4.0)  # Twilio is slow: mid-download
                params = helper.recording_params(call, recording, 2)
                assert helper.post("/voicemail/recording-status", params).status_code == 204
                requests = twilio.media.state.requests
                wait_until(lambda: any(recording in r["path"] for r in requests), 60)
                update_outage(
                    db.session(),
                    db.session.get_one(Outage, outage_id),
                    actor="test",
                    subscriber_message="Engineers are on site; calls still go to voicemail.",
                )
                db.session.commit()  # its notice's job waits in Redis behind the voicemail
                seen = len(log.read_text())
                server.kill()
                wait_until(
                    lambda: worker.poll() is not None or WAITING in log.read_text()[seen:], 90
                )
                assert worker.poll() is None, f"the worker exited with Redis:\n{log.read_text()}"
                assert _deliveries() == 1  # the job finished; rq could not record it
                server.start()  # empty: the notice's job is gone, and so is the email's

            smtp.wait_for(2, timeout=180)  # the voicemail's email and the update's notice
            time.sleep(3)  # a second copy of either would arrive now
            subjects = sorted(message["Subject"] for message in smtp.messages)
            assert len(subjects) == 2, subjects
            assert worker.poll() is None, log.read_text()
        finally:
            stop(worker)
