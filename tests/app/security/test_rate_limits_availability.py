"""What rate limits never refuse: signed Twilio webhooks, the probes and /metrics however many
come, and every request while Redis is down (each process then counts for itself); with Redis,
every process shares one count."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.security.limits import REDIS_KEY_PREFIX
from tests.app.security.conftest import MakeApp, bearer, failed_login, token
from tests.conftest import REDIS_URL
from tests.helpers import free_port
from tests.support.twilio import TwilioHelper

# Never limited ------------------------------------------------------------------------------------


def test_signed_twilio_webhooks_are_never_limited_even_under_a_flood(
    limited_app: MakeApp, subscriber: Any, outage: Any, media: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    tight = limited_app(BACKLINE_RATE_LIMIT_API="1/minute", BACKLINE_RATE_LIMIT_LOGIN="1/minute")
    twilio = TwilioHelper(tight.test_client(), media)
    for _ in range(40):
        call = TwilioHelper.call_params("+14155550100")
        assert twilio.post("/ivr/voice", call).status_code == 200
        assert twilio.post("/ivr/fallback", {**call, "ErrorCode": "11200"}).status_code == 200
        ended = {**call, "CallStatus": "completed", "CallDuration": "4"}
        assert twilio.post("/ivr/call-status", ended).status_code in (200, 204)


def test_health_readiness_and_metrics_are_never_limited(limited_app: MakeApp) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_API="1/minute").test_client()
    for _ in range(30):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code != 429
        assert client.get("/metrics", headers=bearer("not-a-token")).status_code != 429


# Redis ------------------------------------------------------------------------------------------


def test_with_redis_down_requests_pass_at_once(limited_app: MakeApp) -> None:
    down = limited_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/7")  # nothing listens there
    client = down.test_client()
    headers = bearer(token())
    started = time.monotonic()
    for _ in range(25):  # within the default limits
        assert client.get("/api/v1/outages", headers=headers).status_code == 200
        assert failed_login(client).status_code == 400  # refused for its missing token, not 429
    assert time.monotonic() - started < 5  # no connect timeout paid per request


def test_with_redis_down_each_process_still_counts_for_itself(limited_app: MakeApp) -> None:
    down = limited_app(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/7", BACKLINE_RATE_LIMIT_API="3/minute"
    )
    client = down.test_client()
    headers = bearer(token())
    statuses = [client.get("/api/v1/outages", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.skipif(not REDIS_URL, reason="shared counters live in Redis; set REDIS_URL")
def test_with_redis_every_process_shares_one_count(limited_app: MakeApp) -> None:
    from app.core.extensions import redis_client

    first = limited_app(BACKLINE_RATE_LIMIT_API="4/minute").test_client()
    second = limited_app(BACKLINE_RATE_LIMIT_API="4/minute").test_client()
    headers = bearer(token())
    for client in (first, second, first, second):
        assert client.get("/api/v1/outages", headers=headers).status_code == 200
    assert second.get("/api/v1/outages", headers=headers).status_code == 429
    assert first.get("/api/v1/outages", headers=headers).status_code == 429
    client = redis_client()
    assert client is not None
    assert list(client.scan_iter(f"{REDIS_KEY_PREFIX}:*"))
