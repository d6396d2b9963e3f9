"""A Redis that hangs costs one timeout, not one per command: then Backline goes without it."""

from __future__ import annotations

import time
from typing import Any

import redis
from twilio.request_validator import RequestValidator

from app.jobs import redis_connection
from app.redis_guard import GuardedRedis, RedisSkipped
from tests.app.conftest import MakeApp
from tests.support.dead_ends import SilentServer, refused_url
from tests.twiml import parse, verbs

TIMEOUT_S = 0.3


def timed(action: Any) -> tuple[type[BaseException] | None, float]:
    started = time.monotonic()
    try:
        action()
    except redis.RedisError as exc:
        return type(exc), time.monotonic() - started
    return None, time.monotonic() - started


def test_after_a_timeout_commands_fail_at_once_then_redis_is_tried_again() -> None:
    with SilentServer() as hung:
        client = redis_connection(hung.url("redis", "/0"), socket_timeout=TIMEOUT_S)
        assert isinstance(client, GuardedRedis)
        client.cooldown_s = 0.5

        first = timed(lambda: client.get("backline:snapshot:version"))
        skipped = [timed(lambda: client.get("x")), timed(lambda: client.pipeline().get("x"))]
        time.sleep(0.6)
        retried = timed(lambda: client.get("x"))

    assert first[0] is redis.TimeoutError and first[1] >= TIMEOUT_S * 0.9
    assert all(error is RedisSkipped and took < 0.05 for error, took in skipped)
    assert retried[0] is redis.TimeoutError and retried[1] >= TIMEOUT_S * 0.9


def test_a_refused_connection_trips_it_too_and_callers_see_a_connection_error() -> None:
    client = redis_connection(refused_url("redis", "/0"))

    assert timed(lambda: client.get("x"))[0] is redis.ConnectionError
    error, took = timed(lambda: client.set("x", "1"))
    assert error is RedisSkipped and issubclass(RedisSkipped, redis.ConnectionError)
    assert took < 0.05


def test_the_workers_blocking_connection_has_no_breaker() -> None:
    client = redis_connection(refused_url("redis", "/0"), socket_timeout=None)

    assert not isinstance(client, GuardedRedis)


def test_with_redis_hung_only_the_first_call_waits(
    make_app: MakeApp, subscriber: Any, outage: Any, settings: dict[str, Any], twilio: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Dental")
    outage()
    validator = RequestValidator(settings["TWILIO_AUTH_TOKEN"])
    url = settings["BACKLINE_PUBLIC_URL"] + "/ivr/voice"
    with SilentServer() as hung:
        client = make_app(REDIS_URL=hung.url("redis", "/0")).test_client()
        answers = []
        for _ in range(3):
            params = twilio.call_params("+14155550100")
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            started = time.monotonic()
            response = client.post("/ivr/voice", data=params, headers=headers)
            answers.append((response, time.monotonic() - started))

    for response, _ in answers:
        assert verbs(parse(response))[-2:] == ["Gather", "Redirect"]  # the outage menu
    first, *later = (took for _, took in answers)
    assert first < 2.5  # one 2 s timeout, not one per command
    assert all(took < 0.5 for took in later), later
