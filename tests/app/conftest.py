"""Fixtures for the tests of the app package.

- `make_app`: builds extra apps from the test settings with some settings replaced (a database
  or Redis that is down, another storage or mail provider); their connections are closed after
  the test.
- `health`: a stand-in for the primary's health endpoint that the app's detector probes, with
  short thresholds and timeouts (tests/app/detector_helpers.py).
- `token`: the secret of an API token named "prometheus", for scraping /metrics.
- `outbox`, `seed`, `s3_storage`: the retention tests' Maildir outbox, their voicemail seeder
  (tests/app/retention_seed.py) and audio kept in the versioned S3 bucket instead.
- `write_csv`: writes a subscribers CSV file (text or raw bytes) into the test's directory.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.core.extensions import db
from app.security.tokens import create_token
from app.twilio.simulator.media_server import MediaServer
from tests.app.detector_helpers import HealthServer, _detector_settings
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
def health(app: Flask) -> Iterator[HealthServer]:
    """A health endpoint the app under test probes, with short thresholds and timeouts."""
    with HealthServer() as server:
        app.config.update(_detector_settings(server.url))
        yield server


@pytest.fixture
def token(app: Flask) -> str:
    _, secret = create_token(db.session(), "prometheus")
    db.session.commit()
    return secret


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


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(content: str | bytes, name: str = "subscribers.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write
