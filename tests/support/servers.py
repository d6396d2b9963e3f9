"""Fixtures for the real servers some tests need besides the suite's own (tests/conftest.py
loads this module as a plugin, so every test can ask for them):

- `s3`, `ses`, `sns`: real S3, SES and SNS APIs (moto servers) on 127.0.0.1, one a session.
- `relay`: a second, controllable SMTP server for one test.
- `private_redis`: a redis-server of one test's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.aws import S3Server, SesServer, SnsServer, dummy_aws_credentials
from tests.support.redis_server import RedisServer
from tests.support.smtp import RelaySink


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """A real S3 API (moto server) with a versioned bucket; dummy AWS credentials for the session.

    Tests point Backline at it with `monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)` and take it
    down with `with s3.down(): ...` (or `stop()`, then `start()` in a `finally`).
    """
    with dummy_aws_credentials(S3Server.region):
        server = S3Server()
        server.start()
        server.create_versioned_bucket()
        yield server
        server.stop()


@pytest.fixture
def private_redis() -> Iterator[str]:
    """The URL of a redis-server of this test's own (no persistence): for jobs that the suite's
    worker must not take, and for counts no other test can disturb."""
    with RedisServer() as server:
        yield server.url()


@pytest.fixture
def relay() -> Iterator[RelaySink]:
    """A second, controllable SMTP server for this test (see RelaySink); `relay.url` is its URL."""
    sink = RelaySink()
    sink.up()
    yield sink
    sink.down()


@pytest.fixture(scope="session")
def ses() -> Iterator[SesServer]:
    """A real SES API (moto server) with dummy AWS credentials for the session.

    Point Backline at it with `monkeypatch.setenv("AWS_ENDPOINT_URL", ses.url)` and
    `MAIL_FALLBACK_URL=ses://us-east-1`.
    """
    with dummy_aws_credentials(SesServer.region):
        server = SesServer()
        server.start()
        yield server
        server.stop()


@pytest.fixture(scope="session")
def sns() -> Iterator[SnsServer]:
    """A real SNS API (moto server) with dummy AWS credentials for the session.

    Point Backline at it with `monkeypatch.setenv("AWS_ENDPOINT_URL", sns.url)` and
    `SMS_FALLBACK_URL=sns://us-east-1`; `sns.sent(message_id)` reads back what it sent.
    """
    with dummy_aws_credentials(SnsServer.region):
        server = SnsServer()
        server.start()
        yield server
        server.stop()
