"""A change committed while Redis was unreachable still reaches the other processes' copies."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.core.extensions import db
from app.core.jobs import redis_connection
from app.resilience.snapshot import VERSION_KEY, directory
from tests.conftest import REDIS_URL
from tests.support.dead_ends import refused_url

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="the shared snapshot version lives in Redis; set REDIS_URL"
)


def shared_version(app: Flask) -> int:
    return int(app.extensions["backline.redis"].get(VERSION_KEY) or 0)


def test_the_owed_version_bump_is_paid_once_redis_answers(
    app: Flask, outage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = outage(caller_message="Lines are down.")
    before = shared_version(app)
    reachable = app.extensions["backline.redis"]
    monkeypatch.setitem(app.extensions, "backline.redis", redis_connection(refused_url("redis")))

    started.caller_message = "Lines are back within the hour."
    db.session.commit()  # Redis cannot be told: this process now owes the bump

    monkeypatch.setitem(app.extensions, "backline.redis", reachable)
    assert shared_version(app) == before
    with app.test_request_context("/ivr/voice", method="POST"):
        [heard] = directory.outages()

    assert shared_version(app) == before + 1
    assert heard.caller_message == "Lines are back within the hour."


def test_nothing_is_owed_when_redis_was_told(app: Flask, outage: Any) -> None:
    started = outage()
    started.caller_message = "Still down."
    db.session.commit()
    after_commit = shared_version(app)

    with app.test_request_context("/ivr/voice", method="POST"):
        directory.outages()

    assert shared_version(app) == after_commit
