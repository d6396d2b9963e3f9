"""Fixtures for the REST API tests.

- `token`: a real API token (`(row, secret)`), made the way `backline token create` makes one.
- `api`: the test client speaking to /api/v1 with that token as a bearer token.
- `subscribers`: four subscribers, two regions (us-west, eu-central) by two plans (premium,
  basic), for the Alertmanager webhook tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.core.extensions import db
from app.models import ApiToken
from app.security.tokens import create_token

PREFIX = "/api/v1"


class Api:
    """Requests to /api/v1 carrying a bearer token; `path` is relative to the prefix."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.secret = secret

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.secret}", **kwargs.pop("headers", {})}
        return self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def token(app: Flask) -> tuple[ApiToken, str]:
    row, secret = create_token(db.session(), "noc-automation")
    db.session.commit()
    return row, secret


@pytest.fixture
def api(client: FlaskClient, token: tuple[ApiToken, str]) -> Api:
    return Api(client, token[1])


@pytest.fixture
def subscribers(subscriber: Any) -> None:
    """Four subscribers: two regions by two plans."""
    subscriber(number="+14155550100", region="us-west", plan="premium")
    subscriber(number="+14155550101", region="us-west", plan="basic")
    subscriber(number="+14155550102", region="eu-central", plan="premium")
    subscriber(number="+14155550103", region="eu-central", plan="basic")


def assert_error(response: TestResponse, status: int, *phrases: str) -> dict[str, Any]:
    """A JSON error with this status whose sentence contains every phrase."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.is_json, response.text
    body = response.get_json()
    assert isinstance(body.get("error"), str) and body["error"], body
    for phrase in phrases:
        assert phrase in body["error"], body
    assert "Traceback" not in response.text
    return dict(body)
