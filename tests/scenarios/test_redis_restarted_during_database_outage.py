"""Redis restarts while the database is down: callers keep hearing the subscriber's greeting.

A Redis without persistence comes back empty: the shared snapshot is gone and its version number
is back to 0, which every web process reads as "outages or subscribers changed". A process that
cannot reach the database must keep its last good copy rather than drop it for nothing: the
callers of a subscriber in an active outage would otherwise go from "You have reached Acme
Plumbing" and the menu to a generic greeting and straight to voicemail.

The web process has a redis-server of its own here, restarted for real; the database is made
unreachable by pointing the process at a port that refuses connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.resilience.snapshot import directory
from app.twilio.simulator.media_server import MediaServer
from tests.helpers import wait_until
from tests.support.app_state import dispose_engines
from tests.support.dead_ends import database_down
from tests.support.redis_server import RedisServer
from tests.support.twilio import TwilioHelper
from tests.twiml import parse, said, verbs

ACME = "+14155550100"
GREETING = ["You have reached Acme Plumbing.", "Acme cannot take calls right now."]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def web(app: Flask, settings: dict[str, Any], redis_server: RedisServer) -> Iterator[Flask]:
    """A web process on the suite's database and a Redis of its own."""
    process = create_app({**settings, "REDIS_URL": redis_server.url()})
    yield process
    dispose_engines(process)


def greeting(caller: TwilioHelper) -> list[str]:
    root = parse(caller.post("/ivr/voice", caller.call_params(ACME)))
    assert verbs(root)[-2:] == ["Gather", "Redirect"], said(root)  # the menu, not voicemail
    return said(root)[:2]


def test_callers_keep_the_greeting_by_name_when_redis_restarts_during_a_database_outage(
    web: Flask,
    redis_server: RedisServer,
    media: MediaServer,
    subscriber: Any,
    outage: Any,
) -> None:
    subscriber(number=ACME, name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")
    caller = TwilioHelper(web.test_client(), media)
    with web.app_context():
        directory.invalidate()  # a Redis that has served a while holds a version above 0
    assert greeting(caller) == GREETING  # copied while everything answers
    local = web.extensions["backline.snapshot"]
    assert local.version and local.version > 0

    heard = []
    with web.app_context(), database_down(web):
        redis_server.restart()  # empty: no shared copy, and the version is back to 0

        def reset_seen() -> bool:
            heard.append(greeting(caller))
            return local.version == 0

        wait_until(reset_seen, timeout=30, interval=0.2)
        heard += [greeting(caller) for _ in range(8)]

    assert heard == [GREETING] * len(heard)
