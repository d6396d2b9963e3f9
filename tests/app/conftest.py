"""Fixtures for the tests of the app package, shared by its subpackages.

Fixtures that one subpackage alone uses live in its own conftest.py (tests/app/outages,
tests/app/metrics, tests/app/subscribers).

- `make_app`: builds extra apps from the test settings with some settings replaced (a database
  or Redis that is down, another storage or mail provider); their connections are closed after
  the test.
- `outbox`, `seed`, `s3_storage`: the retention tests' Maildir outbox, their voicemail seeder
  (tests/app/retention_seed.py) and audio kept in the versioned S3 bucket instead; the purge
  (tests/app/retention) and the subscriber erasure (tests/app/subscribers) use them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.twilio.simulator.media_server import MediaServer
from tests.app.retention_seed import Seeder, retention_app
from tests.support.app_state import dispose_engines
from tests.support.aws import S3Server
from voicemail.storage_s3 import S3Storage

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(settings: dict[str, Any], database: str) -> Iterator[MakeApp]:
    """Factory: make_app(NAME=value, ...) -> an app built from the test settings and these."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(create_app({**settings, **overrides}))
        return made[-1]

    yield make
    for app in made:
        dispose_engines(app)


@pytest.fixture
def outbox(app: Flask) -> Path:
    return retention_app(app)


@pytest.fixture
def seed(media: MediaServer, outbox: Path) -> Seeder:
    return Seeder(media)


@pytest.fixture
def s3_storage(app: Flask, s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Storage:
    """Audio in the versioned S3 bucket, under a prefix of this test's own."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)
    backend = S3Storage(s3.bucket, f"purge-{secrets.token_hex(4)}")
    app.extensions["backline.storage"] = backend
    return backend
