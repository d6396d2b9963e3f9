"""/metrics still answers, with `backline_dependency_up` 0, when a dependency is down or hung."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.circuit import CircuitBreaker
from app.core.database import build_engine
from app.core.extensions import db
from app.security.tokens import create_token
from tests.app.conftest import MakeApp
from tests.app.metrics.metrics_helpers import samples, scrape, value
from tests.helpers import wait_until
from tests.support.aws import S3Server
from tests.support.dead_ends import SilentServer, refused_url


@contextmanager
def database_at(app: Flask, url: str) -> Iterator[None]:
    """Point the app's engines at another database (down or hung); restore them afterwards."""
    saved = {name: app.extensions[name] for name in ("backline.db", "backline.db.calls")}
    db.session.remove()
    for name in saved:
        app.extensions[name] = build_engine(url)
    try:
        yield
    finally:
        for name in saved:
            app.extensions[name].dispose()
        db.session.remove()
        app.extensions.update(saved)
        app.extensions["backline.breaker"].close()  # it would probe the dead end for good
        app.extensions["backline.breaker"] = CircuitBreaker()


def test_database_down_still_answers_with_what_is_available(
    app: Flask, client: FlaskClient, token: str
) -> None:
    _, unseen = create_token(db.session(), "never-scraped-before")
    db.session.commit()
    assert scrape(client, token).status_code == 200  # this process has now seen the token
    with database_at(app, refused_url("postgresql", "/backline")):
        found = samples(scrape(client, token))
        refused = scrape(client, unseen)
    assert value(found, "backline_dependency_up", dependency="database") == 0
    assert value(found, "backline_dependency_up", dependency="storage") == 1
    assert not any(name == "backline_calls_total" for name, _ in found)
    assert value(found, "backline_periodic_job_interval_seconds", task="replay-pending") == 5
    # A token the process never saw cannot be checked now: 503, never a 500 nor a 401.
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert "database" in refused.get_json()["error"]


def test_a_hung_database_is_bounded(app: Flask, client: FlaskClient, token: str) -> None:
    assert scrape(client, token).status_code == 200
    with SilentServer() as hung, database_at(app, hung.url("postgresql", "/backline")):
        started = time.monotonic()
        found = samples(scrape(client, token))
        elapsed = time.monotonic() - started
    assert value(found, "backline_dependency_up", dependency="database") == 0
    assert elapsed < 4.5  # 1 s for the token, 2 s for the figures, and slack


def test_redis_down_still_answers_with_what_is_available(
    app: Flask, make_app: MakeApp, token: str
) -> None:
    broken = make_app(REDIS_URL=refused_url("redis", "/9"))
    found = samples(scrape(broken.test_client(), token))
    assert value(found, "backline_dependency_up", dependency="redis") == 0
    assert value(found, "backline_dependency_up", dependency="database") == 1
    assert not any(name == "backline_queue_jobs" for name, _ in found)
    assert value(found, "backline_deliveries", state="pending") == 0


def test_storage_down_still_answers_with_what_is_available(
    app: Flask,
    make_app: MakeApp,
    token: str,
    s3: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)
    on_s3 = make_app(STORAGE_URL=f"s3://{s3.bucket}/metrics")
    client = on_s3.test_client()

    def storage_up() -> bool:
        found = samples(scrape(client, token))
        return value(found, "backline_dependency_up", dependency="storage") == 1

    # The first scrape also builds the S3 client, which can outlast the scrape's deadline on a
    # loaded machine: that scrape says 0, as it should, and a later one 1.
    wait_until(storage_up, timeout=30, interval=0.5)
    with s3.down():
        found = samples(scrape(client, token))
    assert value(found, "backline_dependency_up", dependency="storage") == 0
    assert value(found, "backline_dependency_up", dependency="database") == 1
