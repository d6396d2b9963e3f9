"""What the rate-limit tests share: apps built with small limits, tokens, a flood's login."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.core.extensions import db
from app.security.tokens import create_token
from tests.support.app_state import dispose_engines

MakeApp = Callable[..., Flask]


@pytest.fixture
def limited_app(settings: dict[str, Any], app: Flask) -> Iterator[MakeApp]:
    """Factory: an app from the suite's settings plus `overrides` (the suite's tables emptied)."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        built = create_app({**settings, **overrides})
        made.append(built)
        return built

    yield make
    for built in made:
        dispose_engines(built)


def token() -> str:
    _row, secret = create_token(db.session(), f"script-{time.monotonic_ns()}")
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def failed_login(client: FlaskClient) -> TestResponse:
    """A login POST as a flood sends it: no form token, no password that works."""
    return client.post("/admin/login", data={"email": "x@example.com", "password": "guess"})
