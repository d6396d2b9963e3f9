"""With the database unreachable, calls are still answered by name and nothing is lost."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.core.circuit import CircuitBreaker, DatabaseUnavailable
from app.core.extensions import db
from app.models import Call, PrimaryFailure, Voicemail
from app.resilience.pending import pending_count, replay_pending
from app.resilience.snapshot import directory
from tests.conftest import REDIS_URL, SmtpSink, TwilioHelper
from tests.helpers import free_port, wait_until
from tests.support.app_state import built_app
from tests.support.dead_ends import database_down
from tests.twiml import parse, said, verbs
from voicemail.storage import LocalStorage


def _expire_local_copy(app: Flask) -> None:
    local = app.extensions["backline.snapshot"]
    local.outages_at = 0.0
    local.subscribers = type(local.subscribers)(
        (k, (v[0], 0.0)) for k, v in local.subscribers.items()
    )


def _count(model: type) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_calls_are_answered_by_name_and_kept_until_the_database_is_back(
    app: Flask, twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")
    twilio.post("/ivr/voice", twilio.call_params("+14155550100"))  # the snapshot now holds them

    with database_down(app):
        _expire_local_copy(app)  # stale copies are still better than nothing
        call = twilio.call_params("+14155550100")
        root = parse(twilio.post("/ivr/voice", call))
        assert said(root)[:2] == [
            "You have reached Acme Plumbing.",
            "Acme cannot take calls right now.",
        ]
        recording = twilio.add_recording(2)
        assert (
            twilio.post(
                "/voicemail/recording-status", twilio.recording_params(call, recording, 2)
            ).status_code
            == 204
        )
        assert pending_count() >= 2

    assert replay_pending() >= 2
    assert pending_count() == 0
    assert _count(Call) == 2
    assert _count(Voicemail) == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"


def test_the_trunks_fallback_records_evidence_once_the_database_is_back(
    app: Flask, twilio: Any
) -> None:
    with database_down(app):
        params = {**twilio.call_params("+14155550100"), "ErrorCode": "32011"}
        answer = twilio.post("/ivr/fallback", params, query="source=trunk")
        assert verbs(parse(answer))[-2:] == ["Gather", "Redirect"]
    replay_pending()
    failure = db.session.scalar(select(PrimaryFailure))
    assert failure is not None
    assert (failure.kind, failure.error_code) == ("trunk", "32011")
    assert db.session.scalar(select(Call.error_code)) == "32011"


@pytest.mark.skipif(not REDIS_URL, reason="the shared snapshot lives in Redis; set REDIS_URL")
def test_a_fresh_process_answers_by_name_from_the_shared_snapshot(
    app: Flask, settings: dict[str, Any], twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")
    twilio.post("/ivr/voice", twilio.call_params("+14155550100"))
    unreachable = f"postgresql://backline@127.0.0.1:{free_port()}/x"
    with built_app({**settings, "DATABASE_URL": unreachable}) as other, other.app_context():
        helper = TwilioHelper(other.test_client(), twilio.media)
        root = parse(helper.post("/ivr/voice", helper.call_params("+14155550100")))
    assert said(root)[:2] == [
        "You have reached Acme Plumbing.",
        "Acme cannot take calls right now.",
    ]


def test_the_breaker_skips_the_database_after_a_failure_then_probes_again() -> None:
    breaker = CircuitBreaker(cooldown=0.2)
    attempts: list[int] = []

    def failing() -> None:
        from sqlalchemy.exc import OperationalError

        attempts.append(1)
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(DatabaseUnavailable):
        breaker.call(failing)
    with pytest.raises(DatabaseUnavailable, match="open"):
        breaker.call(failing)
    assert len(attempts) == 1  # the second call never reached the database
    time.sleep(0.25)
    assert breaker.call(lambda: "answered") == "answered"
    assert not breaker.is_open


def test_with_a_probe_of_its_own_the_breaker_never_lets_a_caller_probe() -> None:
    database_back = threading.Event()
    probes: list[int] = []

    def probe() -> None:
        probes.append(1)
        if not database_back.is_set():
            raise OperationalError("SELECT 1", {}, Exception("no answer"))

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    breaker = CircuitBreaker(cooldown=0.05, probe=probe)
    with pytest.raises(DatabaseUnavailable):
        breaker.call(down)
    calls: list[int] = []

    def refused_while_probes_fail() -> bool:
        with pytest.raises(DatabaseUnavailable, match="open"):
            breaker.call(lambda: calls.append(1))
        return len(probes) >= 3

    wait_until(refused_while_probes_fail, timeout=20, interval=0.03)
    assert not calls  # cooldowns ended meanwhile, and no caller was let through to probe
    database_back.set()
    wait_until(lambda: not breaker.is_open, timeout=20)  # by itself, without any call
    assert breaker.call(lambda: "answered") == "answered"


def test_a_closed_breaker_stops_probing_a_database_it_no_longer_serves() -> None:
    probes: list[int] = []

    def probe() -> None:
        probes.append(1)
        raise OperationalError("SELECT 1", {}, Exception("no answer"))

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    breaker = CircuitBreaker(cooldown=0.02, probe=probe)
    with pytest.raises(DatabaseUnavailable):
        breaker.call(down)
    wait_until(lambda: len(probes) >= 2, timeout=20, interval=0.01)
    breaker.close()  # its engine is let go (an app disposed of)
    prober = breaker._prober
    assert prober is not None
    prober.join(timeout=5)
    assert not prober.is_alive()
    stopped_at = len(probes)
    with pytest.raises(DatabaseUnavailable):
        breaker.call(down)  # a late caller trips it again: no new probe thread
    assert breaker._prober is prober and len(probes) == stopped_at


def test_replaying_while_the_database_is_still_down_keeps_every_entry(
    app: Flask, twilio: Any
) -> None:
    with database_down(app):
        twilio.post("/ivr/fallback", twilio.call_params("+14155550100"), query="source=trunk")
        kept = pending_count()
        assert kept >= 2
        assert replay_pending() == 0
        assert pending_count() == kept  # waiting, not set aside
    assert replay_pending() == kept


def test_a_voicemail_left_while_the_subscriber_was_unknown_still_reaches_them(
    app: Flask, twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    directory.invalidate()  # this process (and Redis) hold nothing about them
    with database_down(app):
        call = twilio.call_params("+14155550100")
        assert said(parse(twilio.post("/ivr/voice", call)))[0] == "Thank you for calling."
        recording = twilio.add_recording(2)
        twilio.post("/voicemail/recording-status", twilio.recording_params(call, recording, 2))
    replay_pending()
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"


def test_with_database_redis_and_storage_all_down_the_caller_is_still_answered(
    app: Flask, twilio: Any, subscriber: Any, outage: Any, tmp_path: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")
    twilio.post("/ivr/voice", twilio.call_params("+14155550100"))  # the snapshot is cached
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("storage cannot write below a file")
    saved = {name: app.extensions[name] for name in ("backline.redis", "backline.storage")}
    app.extensions["backline.redis"] = None  # as on the embedded defaults: no Redis to keep in
    app.extensions["backline.storage"] = LocalStorage(blocked)
    try:
        with database_down(app):
            root = parse(twilio.post("/ivr/voice", twilio.call_params("+14155550100")))
    finally:
        app.extensions.update(saved)

    assert said(root)[:2] == [
        "You have reached Acme Plumbing.",
        "Acme cannot take calls right now.",
    ]
    assert verbs(root)[-2:] == ["Gather", "Redirect"]


def test_a_voicemail_kept_while_the_database_was_down_keeps_the_time_it_was_left(
    app: Flask, twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink
) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing", emails=["office@acme.example"])
    outage()
    started = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    with database_down(app):
        call = twilio.call_params("+14155550100")
        twilio.post("/ivr/voice", call)
        recording = twilio.add_recording(2)
        callback = twilio.recording_params(call, recording, 2, started=started)
        assert twilio.post("/voicemail/recording-status", callback).status_code == 204
        left_before = datetime.now(UTC)

    replay_pending()  # the database is back: what was kept is written now
    [message] = smtp.wait_for(1)
    db.session.rollback()
    voicemail = db.session.scalar(select(Voicemail))
    row = db.session.scalar(select(Call).where(Call.call_sid == call["CallSid"]))
    assert voicemail is not None and row is not None
    assert voicemail.recorded_at == started  # the callback's RecordingStartTime
    assert row.created_at <= left_before  # when the call came, not when it was written
    body = message.get_body(("plain",))
    assert body is not None
    assert started.strftime("%A %d %B %Y, %H:%M UTC") in body.get_content()


def test_without_a_recording_start_time_the_voicemail_takes_the_time_of_the_call(
    app: Flask, twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    with database_down(app):
        call = twilio.call_params("+14155550100")
        twilio.post("/ivr/voice", call)
        recording = twilio.add_recording(2)
        callback = twilio.recording_params(call, recording, 2)
        del callback["RecordingStartTime"]
        twilio.post("/voicemail/recording-status", callback)
        left_before = datetime.now(UTC)

    replay_pending()
    db.session.rollback()
    voicemail = db.session.scalar(select(Voicemail))
    row = db.session.scalar(select(Call).where(Call.call_sid == call["CallSid"]))
    assert voicemail is not None and row is not None
    assert voicemail.recorded_at == row.created_at <= left_before
