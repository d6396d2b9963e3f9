"""PostgreSQL hangs in the middle of a call: the caller hears the usual outage answer, and the
voicemail reaches the subscriber by email once the database answers again.

Production's shape: a web process and a `backline worker`, both reaching PostgreSQL through a
proxy that freezes (connections accepted, nothing relayed: no server-side timeout can fire), and
a Redis of their own (so that only this worker sees what the web process keeps for later).
The subscriber's greeting was cached before the freeze. While frozen:
- the call is answered by name with the menu, the message is recorded, and each webhook answers
  within the call path's own bounds (Twilio gives up on a Voice URL after a few seconds);
- /healthz answers;
- the recording callback goes to the pending store.
After the thaw the worker writes what was kept, fetches the audio and emails it, stamped with
the time the message was left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from app import create_app
from app.resilience.pending import pending_count
from app.twilio.simulator.media_server import MediaServer
from tests.conftest import DATABASE_URL, SmtpSink
from tests.helpers import finishes_within, mp3_attachment, settings_env
from tests.support.app_state import dispose_engines
from tests.support.proxy import FreezableProxy, database_proxy, through
from tests.support.redis_server import RedisServer
from tests.support.twilio import PUBLIC_URL, TwilioHelper
from tests.twiml import only, parse, said

pytestmark = pytest.mark.skipif(
    not DATABASE_URL,
    reason="SQLite has no network path to freeze; set DATABASE_URL to run against PostgreSQL",
)

ACME = "+14155550100"
FROZEN_CALL_S = 15.0  # the whole call while frozen; unbounded, its first webhook never ends
EMAIL_S = 90.0


@pytest.fixture
def proxy(settings: dict[str, Any]) -> Iterator[FreezableProxy]:
    with database_proxy(settings["DATABASE_URL"]) as running:
        yield running


@pytest.fixture
def production(
    app: Flask, settings: dict[str, Any], proxy: FreezableProxy, tmp_path: Path
) -> Iterator[Flask]:
    """The web process (returned) and a worker, on the proxied database and their own Redis."""
    with RedisServer() as redis_server:
        own = {
            **settings,
            "DATABASE_URL": through(proxy, settings["DATABASE_URL"]),
            "REDIS_URL": redis_server.url(),
        }
        web = create_app(own)
        worker = _start_worker(own, tmp_path / "worker.log")
        try:
            yield web
        finally:
            proxy.thaw()
            _stop(worker)
            dispose_engines(web)


def _start_worker(settings: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=settings_env(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _path_and_query(url: str) -> tuple[str, str]:
    assert url.startswith(PUBLIC_URL), url
    parts = urlsplit(url)
    return parts.path, parts.query


def test_a_call_while_the_database_hangs_is_answered_by_name_and_its_voicemail_delivered(
    production: Flask,
    proxy: FreezableProxy,
    media: MediaServer,
    smtp: SmtpSink,
    subscriber: Any,
    outage: Any,
) -> None:
    subscriber(number=ACME, name="Acme Plumbing", emails=["office@acme.example"])
    outage(caller_message="Acme cannot take calls right now.")
    twilio = TwilioHelper(production.test_client(), media)
    before = parse(twilio.post("/ivr/voice", twilio.call_params(ACME)))
    assert said(before)[0] == "You have reached Acme Plumbing."  # cached while it answers
    left_at = (datetime.now(UTC) - timedelta(seconds=5)).replace(microsecond=0)

    proxy.freeze()
    call = twilio.call_params(ACME, from_="+14155550199")

    def frozen_call() -> tuple[list[str], int, int]:
        answer = parse(twilio.post("/ivr/voice", call))
        path, query = _path_and_query(only(answer, "Gather").get("action", ""))
        record = only(parse(twilio.post(path, {**call, "Digits": "1"}, query=query)), "Record")
        recording = twilio.add_recording(3)
        path, query = _path_and_query(record.get("recordingStatusCallback", ""))
        callback = twilio.recording_params(call, recording, 3, started=left_at)
        stored = twilio.post(path, callback, query=query).status_code
        path, query = _path_and_query(record.get("action", ""))
        parse(twilio.post(path, {**call, "RecordingSid": recording}, query=query))
        return said(answer), stored, twilio.client.get("/healthz").status_code

    heard, stored, healthz = finishes_within(FROZEN_CALL_S, frozen_call, "a call while frozen")

    assert heard[:2] == ["You have reached Acme Plumbing.", "Acme cannot take calls right now."]
    assert stored == 204 and healthz == 200
    with production.app_context():
        assert pending_count() >= 1  # the recording waits for the database
    proxy.thaw()

    [message] = smtp.wait_for(1, timeout=EMAIL_S)
    assert message["To"] == "office@acme.example"
    assert mp3_attachment(message)
    body = message.get_body(("plain",))
    assert body is not None
    assert left_at.strftime("%A %d %B %Y, %H:%M UTC") in body.get_content()  # when it was left
