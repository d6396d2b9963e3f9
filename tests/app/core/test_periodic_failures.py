"""A periodic job that fails because a service is down says so in one line, a bug keeps its
traceback, and neither stops the other jobs."""

from __future__ import annotations

from flask import Flask
from redis import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from app.core.circuit import DatabaseUnavailable
from app.core.periodic import Periodic
from app.core.scheduler import PeriodicScheduler, ThreadLaunch
from tests.app.conftest import MakeApp


def raises(error: Exception) -> Periodic:
    def run() -> None:
        raise error

    return Periodic(type(error).__name__, 60, run)


def test_an_unavailable_service_is_one_line_and_a_bug_keeps_its_traceback(
    app: Flask, make_app: MakeApp
) -> None:
    ran: list[str] = []
    jobs = (
        raises(DatabaseUnavailable("the database circuit breaker is open")),
        raises(OperationalError("SELECT 1", {}, Exception("connection refused\ndetails"))),
        raises(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")),
        raises(ValueError("a bug")),
        Periodic("healthy", 60, lambda: ran.append("healthy")),
    )
    embedded = make_app(REDIS_URL=None)  # the runs on threads of this process, to watch them
    scheduler = PeriodicScheduler(embedded, exclusive=False, table=jobs)
    assert isinstance(scheduler.launch, ThreadLaunch)

    with capture_logs() as logs:
        scheduler.launch_due()
        scheduler.launch.join(timeout=30)

    failures = {entry["job"]: entry for entry in logs if "job" in entry}
    unavailable = [failures[name] for name in ("DatabaseUnavailable", "OperationalError")]
    unavailable.append(failures["ConnectionError"])
    for entry in unavailable:
        assert entry["event"] == "periodic job failed: a service is unavailable"
        assert "exc_info" not in entry and "\n" not in entry["error"]
    assert failures["ValueError"]["event"] == "periodic job failed"
    assert failures["ValueError"]["exc_info"] is True
    assert ran == ["healthy"]
