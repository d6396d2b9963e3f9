"""A real `backline worker` killed with SIGKILL mid-job: the voicemail is still emailed, once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from tests.conftest import REDIS_URL, SmtpSink, TwilioHelper
from tests.helpers import settings_env, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="rq workers need Redis; set REDIS_URL"),
]


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    output = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: rq's scheduler child goes with it
    )
    time.sleep(0.5)
    assert process.poll() is None, log.read_text()
    return process


def test_a_worker_killed_while_downloading_is_replaced_and_the_email_goes_once(
    app: Flask,
    settings: dict[str, Any],
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    tmp_path: Path,
    private_redis: str,
) -> None:
    crash_settings = {
        **settings,
        "REDIS_URL": private_redis,  # the suite's own worker must not take these jobs
        "BACKLINE_SWEEP_AFTER_SECONDS": 1,
        "BACKLINE_SCHEDULER_LOCK_SECONDS": 2,
    }
    env = settings_env(crash_settings)
    log = tmp_path / "workers.log"
    subscriber(number="+14155550100")
    outage()
    first = _start_worker(env, log)
    try:
        web = create_app(crash_settings)
        helper = TwilioHelper(web.test_client(), twilio.media)
        call = helper.call_params("+14155550100")
        with web.app_context():
            helper.post("/ivr/voice", call)
            recording = helper.add_recording(
                3, delay=3.0
            )  # Twilio is slow: the job is mid-download
            helper.post("/voicemail/recording-status", helper.recording_params(call, recording, 3))
        wait_until(lambda: any(recording in r["path"] for r in twilio.media.state.requests), 20)
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its scheduler, as a crash would
        first.wait(timeout=10)
        twilio.media.state.recordings[recording].delay = 0
        time.sleep(1.5)  # past BACKLINE_SWEEP_AFTER_SECONDS and the dead worker's lock
        second = _start_worker(env, log)
        try:
            smtp.wait_for(1, timeout=60)
            time.sleep(2)  # anything more would arrive now
            assert len(smtp.messages) == 1, log.read_text()
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
