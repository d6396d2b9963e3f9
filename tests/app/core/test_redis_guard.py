"""A Redis that hangs costs one timeout, not one per round trip: then Backline goes without it.

Round trips of every kind go through the breaker (commands, pipelines, rq's enqueue), one
breaker per app, and when it half-opens one round trip probes while the others still skip.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from twilio.request_validator import RequestValidator

from app.core.extensions import jobs, redis_client
from app.core.jobs import redis_connection
from app.core.redis_guard import GuardedRedis, RedisSkipped
from forwarding.tasks import alert_admins
from tests.app.conftest import MakeApp
from tests.support.dead_ends import SilentServer, refused_url
from tests.support.redis_faults import FreezingProxy, RedisServer
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
        client.breaker.cooldown_s = 0.5

        first = timed(lambda: client.get("backline:snapshot:version"))
        skipped = [
            timed(lambda: client.get("x")),
            timed(lambda: client.pipeline().get("x").execute()),
        ]
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
    with RedisServer() as server, FreezingProxy(server.port) as proxy:
        client = make_app(REDIS_URL=proxy.url()).test_client()
        proxy.freeze()
        answers = []
        for _ in range(3):
            params = twilio.call_params("+14155550100")
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            answers.append(client.post("/ivr/voice", data=params, headers=headers))
        waits = proxy.sends_while_frozen

    for response in answers:
        assert verbs(parse(response))[-2:] == ["Gather", "Redirect"]  # the outage menu
    assert waits == 1  # one timeout in all, not one per command or per call


def test_a_pipeline_that_times_out_trips_the_breaker_too() -> None:
    with SilentServer() as hung:
        client = redis_connection(hung.url("redis", "/0"), socket_timeout=TIMEOUT_S)
        first = timed(lambda: client.pipeline().incr("x").expire("x", 5).execute())
        then = [timed(lambda: client.get("x")), timed(lambda: client.pipeline().get("x").execute())]

    assert first[0] is redis.TimeoutError
    assert [error for error, _ in then] == [RedisSkipped, RedisSkipped]


def test_an_rq_enqueue_on_a_hung_redis_waits_once_then_fails_at_once(make_app: MakeApp) -> None:
    with SilentServer() as hung:
        app = make_app(REDIS_URL=hung.url("redis", "/0"))
        with app.app_context():
            assert jobs.backend.connection is redis_client()  # one breaker for the whole app
            enqueue = lambda: jobs.backend.enqueue(alert_admins, (1,), alert_admins.job_spec)  # noqa: E731
            first, then = timed(enqueue), timed(enqueue)

    assert first[0] is redis.TimeoutError
    assert then[0] is RedisSkipped


def test_once_half_open_one_caller_probes_and_the_others_skip_until_redis_answers() -> None:
    concurrent = 6
    with RedisServer() as server, FreezingProxy(server.port) as proxy:
        client = redis_connection(proxy.url(), socket_timeout=1)
        client.breaker.cooldown_s = 1.0
        proxy.freeze()
        assert timed(lambda: client.get("x"))[0] is redis.TimeoutError
        time.sleep(1.2)  # half-open
        errors = _all_at_once(concurrent, lambda: client.get("x"))
        assert sorted(map(str, errors)) == sorted(
            ["TimeoutError"] + ["RedisSkipped"] * (concurrent - 1)
        )
        assert proxy.sends_while_frozen == 2  # the first failure and the one probe

        proxy.thaw()
        time.sleep(1.2)
        assert timed(lambda: client.get("x"))[0] is None  # the probe got an answer: closed
        assert _all_at_once(concurrent, lambda: client.get("x")) == ["None"] * concurrent


def _all_at_once(count: int, action: Any) -> list[str]:
    """Run `action` on `count` threads released together; each one's error class name, or None."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        error, _ = timed(action)
        outcomes.append(error.__name__ if error else "None")

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
