"""A periodic job that fails because a service is down says so in one line, a bug keeps its
traceback, and neither stops the other jobs."""

from __future__ import annotations

import pytest
from flask import Flask
from redis import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

import app.core.scheduler as periodic
from app.core.circuit import DatabaseUnavailable
from app.core.scheduler import Periodic, PeriodicRunner


def raises(error: Exception) -> Periodic:
    def run() -> None:
        raise error

    return Periodic(type(error).__name__, 60, run)


def test_an_unavailable_service_is_one_line_and_a_bug_keeps_its_traceback(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    jobs = (
        raises(DatabaseUnavailable("the database circuit breaker is open")),
        raises(OperationalError("SELECT 1", {}, Exception("connection refused\ndetails"))),
        raises(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")),
        raises(ValueError("a bug")),
        Periodic("healthy", 60, lambda: ran.append("healthy")),
    )
    monkeypatch.setattr(periodic, "PERIODIC_JOBS", jobs)

    with capture_logs() as logs:
        PeriodicRunner(app, exclusive=False).run_due()

    failures = {entry["job"]: entry for entry in logs if "job" in entry}
    unavailable = [failures[name] for name in ("DatabaseUnavailable", "OperationalError")]
    unavailable.append(failures["ConnectionError"])
    for entry in unavailable:
        assert entry["event"] == "periodic job failed: a service is unavailable"
        assert "exc_info" not in entry and "\n" not in entry["error"]
    assert failures["ValueError"]["event"] == "periodic job failed"
    assert failures["ValueError"]["exc_info"] is True
    assert ran == ["healthy"]
