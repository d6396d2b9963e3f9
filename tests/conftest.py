"""Fixtures: real SQLite or PostgreSQL, real Redis and `backline worker` when REDIS_URL is set,
a real SMTP server (aiosmtpd) and a local stand-in for Twilio's media endpoint.

- `settings`: the configuration every test app (and the worker process) runs with.
- `app` / `client`: a fresh app per test over emptied tables.
- `smtp`: the in-test SMTP server; `smtp.messages` are parsed emails.
- `media`: Twilio's recording endpoint stand-in (basic auth, optional redirects).
- `twilio`: signs webhook requests exactly as Twilio does and registers recordings.
- `subscriber` / `outage`: factories for the rows a call needs.
- `s3`, `ses`, `sns`, `relay`, `private_redis`: further real servers, in tests/support/servers.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.cli import main
from app.core import migrate
from app.core.database import build_engine
from app.core.extensions import db, jobs
from app.models import Base, Outage, Subscriber
from app.outages.lifecycle import Scope, start_outage
from app.resilience.snapshot import directory
from app.twilio.simulator.media_server import MediaServer, MediaState
from app.twilio.simulator.messages_api import SmsScript
from tests.helpers import free_port, settings_env
from tests.support.app_state import (
    dispose_engines,
    empty_redis_state,
    empty_tables,
    forget_queued_jobs,
    settle,
)
from tests.support.parallel import give_each_worker_its_databases
from tests.support.smtp import SmtpSink
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TwilioHelper

ADMIN_EMAIL = "noc@provider.example"

give_each_worker_its_databases()  # before anything reads DATABASE_URL or REDIS_URL
pytest_plugins = ["tests.support.servers"]  # s3, ses, sns, relay, private_redis
DATABASE_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The scenarios and the tests marked slow go first: spread over `make test`'s processes from
    the start, none of them is left running alone at the end while the others wait."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or "scenarios" in item.nodeid))


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def media() -> Iterator[MediaServer]:
    with MediaServer(MediaState(ACCOUNT_SID, AUTH_TOKEN)) as server:
        yield server


@pytest.fixture(scope="session")
def settings(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink, media: MediaServer
) -> dict[str, Any]:
    instance = tmp_path_factory.mktemp("instance")
    return {
        "BACKLINE_ENV": "test",
        "BACKLINE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": DATABASE_URL or f"sqlite:///{instance / 'backline.db'}",
        "REDIS_URL": REDIS_URL,
        "BACKLINE_SECRET_KEY": "test-secret-key",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": media.url,
        "BACKLINE_RECORDING_HOSTS": f"127.0.0.1:{media.port},localhost:{media.port}",
        "BACKLINE_PUBLIC_URL": PUBLIC_URL,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",  # type: ignore[attr-defined]
        "MAIL_FROM": "Backline <voicemail@provider.example>",
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "BACKLINE_DEFAULT_TIMEZONE": "UTC",
        # A periodic run a test starts must not open outages from the failed dials the
        # call-flow tests record; the detector's tests set their own values.
        "BACKLINE_DETECTOR_FAILURES": 0,
        # Nor may a purge erase the aged voicemails the retention tests make and purge
        # themselves (they set 90 days on their own app).
        "BACKLINE_RETENTION_DAYS": 36500,
    }


@pytest.fixture(scope="session")
def database(settings: dict[str, Any]) -> str:
    """Drop whatever the test database holds and migrate it from scratch."""
    url = settings["DATABASE_URL"]
    engine = build_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    migrate.upgrade(url)
    return str(url)


# The Procfile's workers (the periodic queue gets one of its own, so no slow job delays it), but
# scheduling no periodic job: run across every test's rows those would race the tests (and each
# other) for them. A test of a periodic job runs it itself or queues it for these workers, as
# `settle()` does with the SMS pacing.
WORKERS = (("voicemail", "email", "notices", "periodic-slow"), ("periodic",))
WORKER_SMS_FROM = "+14155550000"  # the workers text through the Twilio stand-in (`media`)


@pytest.fixture(scope="session")
def worker_process(
    settings: dict[str, Any], database: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Real `backline worker` processes, as the Procfile runs them but scheduling no periodic
    job, when REDIS_URL is set; jobs run in-process otherwise (an empty list)."""
    if not REDIS_URL:
        yield []
        return
    from app.core.jobs import redis_connection

    connection = redis_connection(REDIS_URL)
    for key in connection.scan_iter("rq:*"):
        connection.delete(key)
    instance = Path(settings["BACKLINE_INSTANCE_PATH"])
    env = {**settings_env(settings), "SMS_FROM": WORKER_SMS_FROM}
    processes = []
    for number, queues in enumerate(WORKERS):
        log = instance / ("worker.log" if number == 0 else f"worker-{queues[0]}.log")
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "worker", "--no-periodic", *queues],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: rq's scheduler goes with it
                )
            )
    time.sleep(0.5)
    for process in processes:
        assert process.poll() is None, "backline worker exited; see worker*.log"
    yield processes
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=10)


@pytest.fixture
def app(
    settings: dict[str, Any],
    database: str,
    worker_process: list[subprocess.Popen[bytes]],
    smtp: SmtpSink,
    media: MediaServer,
) -> Iterator[Flask]:
    app = create_app(settings)
    with app.app_context():
        forget_queued_jobs()
        empty_tables()
        directory.invalidate()  # raw SQL bypasses the ORM events that normally do this
        empty_redis_state()
    smtp.clear()
    media.state.recordings.clear()
    media.state.calls.clear()
    media.state.messages.clear()
    media.state.sms = SmsScript()
    media.state.requests.clear()
    media.state.redirect_to = None
    ctx = app.app_context()
    ctx.push()
    yield app
    jobs.wait_idle(30)
    ctx.pop()
    dispose_engines(app)
    for process in worker_process:
        assert process.poll() is None, "backline worker died; see worker*.log in the instance dir"


Invoke = Callable[..., Result]


@pytest.fixture
def cli(app: Flask) -> Invoke:
    """Run `backline ARGS...` against the test app (the command would otherwise build its own:
    any object with `load_app()` will do as the root context's obj, Flask's ScriptInfo here)."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def twilio(client: FlaskClient, media: MediaServer) -> TwilioHelper:
    return TwilioHelper(client, media)


@pytest.fixture
def subscriber(app: Flask) -> Any:
    """Factory: subscriber(number=..., emails=[...], **fields) -> Subscriber."""

    def make(
        number: str = "+14155550100", emails: list[str] | None = None, **fields: Any
    ) -> Subscriber:
        row = Subscriber(number=number, emails=emails or ["office@acme.example"], **fields)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def outage(app: Flask, smtp: SmtpSink) -> Any:
    """Factory: outage(caller_message=..., regions=[...], ...) -> an active admin outage.

    Its start notices have gone out and been cleared from the SMTP sink, so a test that counts
    emails counts only what it causes itself.
    """

    def make(
        caller_message: str = "We have a temporary problem.",
        subscriber_message: str | None = None,
        regions: list[str] | None = None,
        numbers: list[str] | None = None,
        plans: list[str] | None = None,
    ) -> Outage:
        row = start_outage(
            db.session(),
            actor="test",
            scope=Scope(regions or [], numbers or [], plans or []),
            caller_message=caller_message,
            subscriber_message=subscriber_message or "Our platform is down; calls go to voicemail.",
        )
        db.session.commit()
        settle()
        smtp.clear()
        return row

    return make
