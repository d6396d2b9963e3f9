"""Redis hangs while Twilio posts recording callbacks.

Redis sits behind a TCP proxy that freezes: it accepts connections and relays nothing, so every
request Backline sends it waits for the 2 s socket timeout. After the first one, no callback may
wait again while the breaker is open, the enqueue included (rq enqueues through a pipeline): the
job goes to the pending store instead, and once Redis answers each voicemail is emailed once.
While the breaker half-opens, one request probes Redis and the others still do not wait.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.core.extensions import db
from app.core.redis_guard import COOLDOWN_S
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from app.resilience.pending import pending_count
from tests.conftest import SmtpSink
from tests.helpers import settings_env, wait_until
from tests.support.app_state import built_app
from tests.support.processes import start_worker, stop
from tests.support.redis_faults import FreezingProxy, RedisServer
from tests.support.twilio import TwilioHelper

pytestmark = pytest.mark.slow

NUMBER = "+14155550100"
LATER_CALLBACKS = 10  # each would wait 2 s without the breaker: 20 s in all
BOUND_S = 8.0  # generous for a loaded machine, far below 10 times 2 s


@pytest.fixture
def hung_redis(tmp_path: Path) -> Any:
    """A private redis-server behind a freezing proxy."""
    with RedisServer() as server, FreezingProxy(server.port) as proxy:
        yield proxy


@pytest.fixture
def shared(settings: dict[str, Any], hung_redis: FreezingProxy, tmp_path: Path) -> dict[str, Any]:
    """Settings of the web app and the worker: Redis through the proxy, storage of their own
    (the suite's worker must not replay this test's pending entries)."""
    return {
        **settings,
        "REDIS_URL": hung_redis.url(),
        "STORAGE_URL": (tmp_path / "storage").as_uri(),
        "BACKLINE_SWEEP_AFTER_SECONDS": 1,  # the sweeper queues them too: still one email each
    }


@pytest.fixture
def web(shared: dict[str, Any]) -> Any:
    with built_app(shared) as made:
        yield made


def _calls(helper: TwilioHelper, count: int) -> list[dict[str, str]]:
    """Answered calls (Redis still fine), each with a recording Twilio holds."""
    calls = []
    for n in range(count):
        call = helper.call_params(NUMBER, from_=f"+1415555{n:04d}")
        assert helper.post("/ivr/voice", call).status_code == 200
        call["RecordingSid"] = helper.add_recording(1)
        calls.append(call)
    return calls


def _callback(helper: TwilioHelper, call: dict[str, str]) -> TestResponse:
    params = helper.recording_params(call, call["RecordingSid"], 1)
    return helper.post("/voicemail/recording-status", params)


def _count(model: type, *where: Any) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_callbacks_answer_at_once_and_each_voicemail_is_emailed_once_when_redis_answers(
    app: Flask,
    web: Flask,
    shared: dict[str, Any],
    hung_redis: FreezingProxy,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    tmp_path: Path,
) -> None:
    subscriber(number=NUMBER)
    outage()
    helper = TwilioHelper(web.test_client(), twilio.media)
    with web.app_context():
        first, *later = _calls(helper, 1 + LATER_CALLBACKS)
        hung_redis.freeze()
        assert _callback(helper, first).status_code == 204  # waits once and trips the breaker
        started = time.monotonic()
        answers = [_callback(helper, call).status_code for call in later]
        took = time.monotonic() - started
        assert answers == [204] * LATER_CALLBACKS
        assert took < BOUND_S, f"{LATER_CALLBACKS} callbacks took {took:.1f} s"
        assert hung_redis.sends_while_frozen == 1  # Backline waited on Redis once in all
        assert pending_count() == 1 + LATER_CALLBACKS  # their jobs, kept
    assert _count(Voicemail, Voicemail.status == VoicemailStatus.RECEIVED) == 1 + LATER_CALLBACKS

    hung_redis.thaw()
    worker = start_worker(settings_env(shared), tmp_path / "worker.log")
    try:
        smtp.wait_for(1 + LATER_CALLBACKS, timeout=120)
        time.sleep(3)  # a second email for any of them would arrive now
        assert len(smtp.messages) == 1 + LATER_CALLBACKS
        accepted = Delivery.state == DeliveryState.ACCEPTED
        wait_until(lambda: _count(Delivery, accepted) == 1 + LATER_CALLBACKS)
        with web.app_context():
            wait_until(lambda: pending_count() == 0)  # replayed once, then removed
    finally:
        stop(worker)


def test_when_the_breaker_half_opens_one_callback_probes_and_the_others_do_not_wait(
    app: Flask,
    web: Flask,
    hung_redis: FreezingProxy,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
) -> None:
    subscriber(number=NUMBER)
    outage()
    concurrent = 8
    helpers = [TwilioHelper(web.test_client(), twilio.media) for _ in range(concurrent)]
    with web.app_context():
        first, *burst = _calls(helpers[0], 1 + concurrent)
        hung_redis.freeze()
        assert _callback(helpers[0], first).status_code == 204  # trips the breaker
        time.sleep(COOLDOWN_S + 0.5)  # the breaker half-opens
    waited_before = hung_redis.sends_while_frozen
    answers: list[int] = []
    barrier = threading.Barrier(concurrent)

    def post(helper: TwilioHelper, call: dict[str, str]) -> None:
        with web.app_context():
            barrier.wait()
            answers.append(_callback(helper, call).status_code)

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(helpers, burst, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [204] * concurrent
    assert hung_redis.sends_while_frozen - waited_before == 1  # one probe, not one per request
    with web.app_context():
        assert pending_count() == 1 + concurrent
