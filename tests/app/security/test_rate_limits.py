"""Rate limits: the admin login per address and the API per token, never anything a call needs.

Each test builds its own app with small limits on the suite's database (and on the suite's
Redis when REDIS_URL is set). Failure modes named here: a flood past the limit gets 429 with a
sentence and Retry-After; a new invented API token on each request is counted against the
client's address, while a real token from there still passes (with Redis down too); the
Alertmanager receiver is never limited; a forged X-Forwarded-For moves nobody to another count
unless a proxy is trusted. What is never refused (webhooks, probes, anything while Redis is
down) is in test_rate_limits_availability.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.admin.accounts import set_admin
from app.core.config import ConfigError
from app.core.extensions import db
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, log_in
from tests.app.security.conftest import MakeApp, bearer, failed_login, token
from tests.helpers import free_port

LOGIN_LIMITED = "Too many login attempts from your address"


def retry_after(response: TestResponse) -> int:
    return int(response.headers["Retry-After"])


def client_at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# API -------------------------------------------------------------------------------------------


def test_a_token_past_the_api_limit_gets_429_with_a_sentence_and_retry_after(
    limited_app: MakeApp,
) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_API="3/minute").test_client()
    headers = bearer(token())
    for _ in range(3):
        assert client.get("/api/v1/outages", headers=headers).status_code == 200
    refused = client.get("/api/v1/outages", headers=headers)
    assert refused.status_code == 429
    assert refused.is_json
    sentence = refused.get_json()["error"]
    assert sentence.startswith("Too many requests from this API token: the API allows 3 per 1")
    assert "Try again in" in sentence
    assert 1 <= retry_after(refused) <= 60
    assert f"{retry_after(refused)} s." in sentence


def test_each_token_has_its_own_count_and_requests_without_one_count_per_address(
    limited_app: MakeApp,
) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_API="2/minute").test_client()
    busy, other = bearer(token()), bearer(token())
    for _ in range(2):
        client.get("/api/v1/outages", headers=busy)
    assert client.get("/api/v1/outages", headers=busy).status_code == 429
    assert client.get("/api/v1/outages", headers=other).status_code == 200

    for _ in range(2):
        assert client.get("/api/v1/outages").status_code == 401
    anonymous = client.get("/api/v1/outages")
    assert anonymous.status_code == 429
    assert "from your address" in anonymous.get_json()["error"]


def test_invented_tokens_count_against_the_address_and_real_tokens_still_pass(
    limited_app: MakeApp,
) -> None:
    limited = limited_app()  # the default limit: 1200 a minute
    client = limited.test_client()
    real = bearer(token())
    statuses = [
        client.get("/api/v1/outages", headers=bearer(f"invented-{n}")).status_code
        for n in range(1300)  # a new token each time: none of them has a count of its own
    ]
    assert statuses[:1200] == [401] * 1200
    assert set(statuses[1200:]) == {429}
    refused = client.get("/api/v1/outages", headers=bearer("invented-again"))
    assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60
    sentence = refused.get_json()["error"]
    assert sentence.startswith("Too many requests with a missing or invalid API token from your")
    assert f"Try again in {retry_after(refused)} s." in sentence

    # A real token is never refused for someone else's guesses, nor another address, nor the
    # Alertmanager receiver, whatever token it brings.
    assert client.get("/api/v1/outages", headers=real).status_code == 200
    alert = client.post("/api/v1/alerts/alertmanager", json={}, headers=bearer("invented"))
    assert alert.status_code == 401
    other = client_at(limited, "198.51.100.7")
    assert other.get("/api/v1/outages", headers=bearer("invented-elsewhere")).status_code == 401


def test_with_redis_down_failed_tokens_are_counted_in_the_process(limited_app: MakeApp) -> None:
    down = limited_app(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/7", BACKLINE_RATE_LIMIT_API="3/minute"
    )
    client = down.test_client()
    statuses = [
        client.get("/api/v1/outages", headers=bearer(f"invented-{n}")).status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_the_alertmanager_webhook_is_never_limited_nor_counted(limited_app: MakeApp) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_API="1/minute").test_client()
    headers = bearer(token())
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "backline",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "PrimaryDown"},  # no scope: acknowledged and ignored
                "annotations": {},
                "startsAt": "2026-11-22T10:00:00Z",
                "fingerprint": "a1b2c3d4e5f60718",
            }
        ],
    }
    for _ in range(25):
        delivered = client.post("/api/v1/alerts/alertmanager", json=body, headers=headers)
        assert delivered.status_code == 200, delivered.text
    # The 25 alerts used none of the token's one request a minute.
    assert client.get("/api/v1/outages", headers=headers).status_code == 200
    assert client.get("/api/v1/outages", headers=headers).status_code == 429


# Admin login ------------------------------------------------------------------------------------


def test_a_login_flood_from_one_address_gets_the_admin_error_page_with_retry_after(
    limited_app: MakeApp,
) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_LOGIN="3/minute").test_client()
    for _ in range(3):
        assert failed_login(client).status_code == 400  # no form token
    refused = failed_login(client)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "<h1>Too Many Requests</h1>" in refused.text
    assert f"{LOGIN_LIMITED} (at most 3 per 1 minute)." in refused.text
    assert f"Wait {retry_after(refused)} s, then try again." in refused.text
    assert 1 <= retry_after(refused) <= 60


def test_the_login_limit_counts_addresses_not_accounts_and_only_posts(
    limited_app: MakeApp,
) -> None:
    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    limited = limited_app(BACKLINE_RATE_LIMIT_LOGIN="2/minute")
    attacker = client_at(limited, "203.0.113.9")
    for _ in range(5):
        failed_login(attacker)
    assert failed_login(attacker).status_code == 429
    assert attacker.get("/admin/login").status_code == 200  # the page itself still shows

    noc = client_at(limited, "198.51.100.20")
    assert log_in(noc).status_code == 302  # the NOC's account is not locked by the flood


def test_a_forged_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy(
    limited_app: MakeApp,
) -> None:
    client = limited_app(BACKLINE_RATE_LIMIT_LOGIN="2/minute").test_client()
    statuses = [
        client.post("/admin/login", headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 429, 429]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(
    limited_app: MakeApp,
) -> None:
    proxied = limited_app(BACKLINE_RATE_LIMIT_LOGIN="2/minute", BACKLINE_TRUSTED_PROXIES=1)
    client = client_at(proxied, "10.0.0.1")  # the proxy

    def from_client(address: str) -> int:
        forwarded = {"X-Forwarded-For": f"192.0.2.77, {address}"}  # the proxy appends the last
        return client.post("/admin/login", headers=forwarded).status_code

    assert [from_client("198.51.100.1") for _ in range(3)] == [400, 400, 429]
    assert from_client("198.51.100.2") == 400


# Settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BACKLINE_RATE_LIMIT_API", "BACKLINE_RATE_LIMIT_LOGIN"])
def test_a_rate_that_cannot_be_read_stops_start_up_naming_the_setting(
    settings: dict[str, Any], name: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{name} must be a rate such as '30/minute'"):
        create_app({**settings, name: "lots"})
