"""Redis hangs while the sweepers and the replayer run their round.

Each has many jobs to queue (voicemails whose job was lost, jobs webhooks kept for later). A
round against a frozen Redis must wait for it once, not once per job; nothing is lost, and the
next round after Redis answers queues everything.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import Queue

from app.core.extensions import db, redis_client
from app.models import Voicemail, utcnow
from app.resilience.pending import pending_count, replay_pending
from app.resilience.pending_jobs import queue_or_keep
from forwarding.tasks import alert_admins
from tests.support.app_state import built_app
from tests.support.dead_ends import refused_url
from tests.support.redis_faults import FreezingProxy, RedisServer
from voicemail.sweeper import sweep_voicemails

pytestmark = pytest.mark.slow

STALLED = 5


def _stalled_voicemails() -> None:
    for n in range(STALLED):
        db.session.add(
            Voicemail(
                recording_sid=f"RE{n:032x}",
                account_sid="AC" + "0" * 32,
                call_sid=f"CA{n:032x}",
                recorded_at=utcnow() - timedelta(hours=1),
            )
        )
    db.session.commit()


def test_each_job_of_a_round_against_a_hung_redis_waits_once_and_nothing_is_lost(
    app: Flask, settings: dict[str, Any], tmp_path: Path
) -> None:
    _stalled_voicemails()
    own = {**settings, "STORAGE_URL": tmp_path.as_uri()}
    away = {**own, "REDIS_URL": refused_url("redis", "/0")}
    with built_app(away) as webhook, webhook.app_context():  # what webhooks kept meanwhile
        for delivery_id in range(STALLED):
            queue_or_keep(alert_admins, delivery_id)
        assert pending_count() == STALLED
    with RedisServer() as server, FreezingProxy(server.port) as proxy:
        own["REDIS_URL"] = proxy.url()
        proxy.freeze()
        for periodic in (sweep_voicemails, replay_pending):
            waited = proxy.sends_while_frozen
            with built_app(own) as fresh, fresh.app_context():  # a round starts, breaker closed
                assert periodic() == 0
            assert proxy.sends_while_frozen - waited == 1, periodic.__name__

        proxy.thaw()
        with built_app(own) as fresh, fresh.app_context():  # the next round, Redis answering
            assert replay_pending() == STALLED
            assert sweep_voicemails() == STALLED
            assert pending_count() == 0
            assert Queue("voicemail", connection=redis_client()).count == STALLED
            assert Queue("email", connection=redis_client()).count == STALLED
