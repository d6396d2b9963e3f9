"""Scenario: Twilio's Messages API answers every send slowly while notice SMS are due, and the
detector and `replay-pending` must keep their interval.

The Twilio stand-in holds each send for HOLD_S seconds, under Backline's 20 s read timeout, so
each held send is a stretch during which SMS pacing waits on the provider. Forty subscribers with
a backup mobile are told of an outage, so pacing has texts to send throughout. The heartbeats of
`replay-pending` and `detect-primary-outage` must keep coming *during* those stretches: run one
after another on one thread, as they were, no other job could finish while pacing waited.

Embedded pass: `serve`'s scheduler in this process, each run on a thread of its own. PostgreSQL
and Redis pass: the same scheduler queues each run on rq, and the suite's real `backline worker`
processes run them, in the Procfile's shape (one serves `periodic`, the other the rest with
`periodic-slow`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask

from app.core.extensions import db, redis_client
from app.core.periodic import HEARTBEATS_KEY
from app.core.scheduler import PeriodicScheduler
from app.outages.lifecycle import Scope, start_outage
from app.twilio.simulator.media_server import MediaServer
from tests.helpers import wait_until
from tests.support.sms import SENDER

HOLD_S = 12.0
SUBSCRIBERS = 40
WATCHED = ("replay-pending", "detect-primary-outage")


class Heartbeats:
    """Every distinct heartbeat of the watched jobs, read as often as the test looks."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.seen: dict[str, set[float]] = {name: set() for name in WATCHED}

    def look(self) -> None:
        stamps = dict(self.app.extensions.get("backline.heartbeats", {}))
        client = redis_client()
        if client is not None:
            stored = client.hmget(HEARTBEATS_KEY, list(WATCHED))
            stamps.update({k: v.decode() for k, v in zip(WATCHED, stored, strict=True) if v})
        for name in WATCHED:
            if stamps.get(name):
                self.seen[name].add(datetime.fromisoformat(stamps[name]).timestamp())

    def during(self, name: str, held: list[tuple[float, float]]) -> int:
        """How many of the job's runs finished while a send was held at the provider."""
        return sum(any(start < beat < end for start, end in held) for beat in self.seen[name])


@contextlib.contextmanager
def periodic_jobs_running(app: Flask) -> Iterator[None]:
    """The scheduler, here: runs on threads (embedded) or queued for the suite's workers."""
    scheduler = PeriodicScheduler(app, exclusive=False)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.stop()


def test_detector_and_replay_keep_their_interval_while_sms_pacing_waits_on_a_slow_provider(
    app: Flask, subscriber: Any, media: MediaServer
) -> None:
    app.config["SMS_FROM"] = SENDER  # the suite's workers text through the stand-in too
    media.state.sms.hold_s = HOLD_S
    for n in range(SUBSCRIBERS):
        subscriber(
            number=f"+1212555{n:04d}",
            emails=[f"office{n}@acme.example"],
            backup_number=f"+1415555{n:04d}",
        )
    beats = Heartbeats(app)
    with periodic_jobs_running(app):
        start_outage(
            db.session(), actor="test", scope=Scope(), subscriber_message="Calls go to voicemail."
        )
        db.session.commit()

        def kept_their_interval() -> bool:
            beats.look()
            held = list(media.state.sms.held)
            return (
                beats.during("replay-pending", held) >= 2
                and beats.during("detect-primary-outage", held) >= 1
            )

        wait_until(kept_their_interval, timeout=100, interval=0.1)
    assert len(media.state.messages) < SUBSCRIBERS  # pacing was still at it, a send at a time
    media.state.sms.reset()  # answer what is still held
