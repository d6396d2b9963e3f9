"""Fixtures for the tests of the forwarding package.

- `configure`: makes an app with some mail settings replaced and works inside it for the rest of
  the test. The job functions are then called directly (with REDIS_URL set, queued jobs would
  run in the worker process, which uses the session's mail settings, not these).
- `with_ses`: the session's SES API (moto server) reachable through AWS_ENDPOINT_URL, with the
  sender's domain verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from tests.forwarding.delivery_helpers import SENDER_DOMAIN
from tests.support.aws import SesServer

Configure = Callable[..., Flask]


@pytest.fixture
def configure(app: Flask, settings: dict[str, Any]) -> Iterator[Configure]:
    """Make an app with these mail settings and work inside it for the rest of the test."""
    contexts = []

    def make(**overrides: Any) -> Flask:
        configured = create_app({**settings, **overrides})
        context = configured.app_context()
        context.push()
        contexts.append(context)
        return configured

    yield make
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def with_ses(ses: SesServer, monkeypatch: pytest.MonkeyPatch) -> SesServer:
    """SES (moto) reachable through AWS_ENDPOINT_URL, with the sender's domain verified."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", ses.url)
    ses.verify(SENDER_DOMAIN)
    return ses
