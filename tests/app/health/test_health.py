"""/healthz and /readyz: ready while this process can answer calls, whatever its dependencies do.

Each dependency is taken down for real: a PostgreSQL or Redis URL on a port nothing listens on,
a server that accepts connections and never answers (hung), the S3 stand-in stopped, the SMTP
relay stopped.

No test here depends on how fast the machine is. Apps get a /readyz deadline
(BACKLINE_READY_TIMEOUT_MS) no check that answers at all can miss on a busy machine, so "up" and
"down" are always told apart; the hung services get a short one and are checked for the state
they leave (unavailable, the check still held), never for a wall time. That the deadline itself
bounds a request is proven with a question that cannot answer, in tests/app/core/test_probes.py.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.test import TestResponse

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db
from tests.app.conftest import MakeApp
from tests.conftest import SmtpSink
from tests.support.aws import S3Server, SesServer
from tests.support.dead_ends import SilentServer, refused_url
from tests.support.smtp import RelaySink

DEPENDENCIES = {"database", "redis", "storage", "mail"}
GENEROUS_MS = 60_000  # a check that answers at all answers within this, however busy the box
SHORT_MS = 100  # far below a hung service's own timeouts (1 s to a database or to SMTP)
HUNG = ("no answer within 0.1 s", "still waiting for the previous answer")


@pytest.fixture
def ready_app(make_app: MakeApp) -> MakeApp:
    """make_app, with the generous /readyz deadline unless a test sets its own."""

    def make(**overrides: Any) -> Flask:
        return make_app(**{"BACKLINE_READY_TIMEOUT_MS": GENEROUS_MS, **overrides})

    return make


def readyz(app: Flask) -> tuple[TestResponse, dict[str, Any]]:
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert isinstance(body, dict), response.text
    return response, body


def assert_hung(state: dict[str, Any]) -> None:
    """Unavailable, because the deadline ended the wait (or the check's own timeout did, were the
    machine stalled for a second: the call path's engine gives up connecting after 1 s, SMTP
    after 1 s): either way the request did not wait on the hung service."""
    assert state["ok"] is False, state
    own_timeout = ("failed (OperationalError; see the logs)", "failed (TimeoutError; see the logs)")
    assert state["detail"] in (*HUNG, *own_timeout), state


def test_healthz_says_the_process_is_up(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_with_every_dependency_up(app: Flask, smtp: SmtpSink) -> None:
    app.config["BACKLINE_READY_TIMEOUT_MS"] = GENEROUS_MS
    response, body = readyz(app)
    assert response.status_code == 200, body
    assert body["ready"] is True
    assert body["answers_calls"]["ok"] is True
    assert set(body["dependencies"]) >= DEPENDENCIES
    for name in DEPENDENCIES:
        assert body["dependencies"][name]["ok"] is True, (name, body)
    assert "answered" in body["dependencies"]["database"]["detail"]
    assert body["call_records"] == {"ok": True, "detail": "written to the database"}
    assert response.headers["Cache-Control"] == "no-store"


def test_database_down_is_reported_and_does_not_make_it_fail(ready_app: MakeApp) -> None:
    app = ready_app(DATABASE_URL=refused_url("postgresql", "/backline"))
    response, body = readyz(app)
    assert response.status_code == 200
    assert body["ready"] is True
    database = body["dependencies"]["database"]
    assert database["ok"] is False
    assert "OperationalError" in database["detail"]
    assert "127.0.0.1" not in database["detail"]  # the page is public: no hosts, no ports
    assert body["call_records"]["ok"] is True  # kept in Redis or storage meanwhile
    assert "until the database is back" in body["call_records"]["detail"]


def test_the_call_paths_circuit_breaker_is_reported(ready_app: MakeApp) -> None:
    app = ready_app(DATABASE_URL=refused_url("postgresql", "/backline"))
    with app.app_context(), pytest.raises(DatabaseUnavailable):
        db.guarded(lambda: db.session.execute(text("SELECT 1")))  # what a webhook would try
    _, body = readyz(app)
    assert "circuit breaker open" in body["dependencies"]["database"]["detail"]


def test_a_hung_database_costs_the_deadline_and_no_more(ready_app: MakeApp) -> None:
    with SilentServer() as hung:
        app = ready_app(
            DATABASE_URL=hung.url("postgresql", "/backline"), BACKLINE_READY_TIMEOUT_MS=SHORT_MS
        )
        response, body = readyz(app)
        assert response.status_code == 200
        assert_hung(body["dependencies"]["database"])
        # The first check may still be waiting on the hung server: a second request then does
        # not start another one (a hung database must not collect a thread per probe).
        _, again = readyz(app)
        assert_hung(again["dependencies"]["database"])


def test_redis_down_is_reported_and_does_not_make_it_fail(ready_app: MakeApp) -> None:
    app = ready_app(REDIS_URL=refused_url("redis", "/9"))
    response, body = readyz(app)
    assert response.status_code == 200
    assert body["dependencies"]["redis"]["ok"] is False
    assert "ConnectionError" in body["dependencies"]["redis"]["detail"]


def test_without_redis_it_says_so_rather_than_failing(ready_app: MakeApp) -> None:
    app = ready_app(REDIS_URL=None)
    _, body = readyz(app)
    assert body["dependencies"]["redis"]["ok"] is True
    assert "not configured" in body["dependencies"]["redis"]["detail"]


def test_storage_unreachable_is_reported_and_does_not_make_it_fail(
    ready_app: MakeApp, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.url)
    app = ready_app(STORAGE_URL=f"s3://{s3.bucket}/readyz-{secrets.token_hex(4)}")
    _, body = readyz(app)
    assert body["dependencies"]["storage"]["ok"] is True, body
    with s3.down():
        response, body = readyz(app)
    assert response.status_code == 200
    assert body["dependencies"]["storage"]["ok"] is False
    assert "StorageError" in body["dependencies"]["storage"]["detail"]
    assert s3.bucket not in body["dependencies"]["storage"]["detail"]


def test_local_storage_that_cannot_be_written_is_reported(
    ready_app: MakeApp, tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage directory should be")
    app = ready_app(STORAGE_URL=(blocker / "voicemail").as_uri())
    response, body = readyz(app)
    assert response.status_code == 200
    assert body["dependencies"]["storage"]["ok"] is False


def test_mail_down_is_reported_and_does_not_make_it_fail(
    ready_app: MakeApp, relay: RelaySink
) -> None:
    app = ready_app(SMTP_URL=relay.url)
    _, body = readyz(app)
    assert body["dependencies"]["mail"]["ok"] is True, body
    relay.down()
    response, body = readyz(app)
    assert response.status_code == 200
    assert body["dependencies"]["mail"]["ok"] is False


def test_a_hung_mail_relay_is_bounded(ready_app: MakeApp) -> None:
    with SilentServer() as hung:
        app = ready_app(SMTP_URL=hung.url("smtp"), BACKLINE_READY_TIMEOUT_MS=SHORT_MS)
        response, body = readyz(app)
    assert response.status_code == 200
    assert_hung(body["dependencies"]["mail"])


def test_the_maildir_outbox_is_checked_on_the_embedded_defaults(
    ready_app: MakeApp, tmp_path: Any
) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the Maildir should be")
    writable = ready_app(SMTP_URL=None, BACKLINE_OUTBOX=str(tmp_path / "mail"))
    broken = ready_app(SMTP_URL=None, BACKLINE_OUTBOX=str(blocker))
    assert readyz(writable)[1]["dependencies"]["mail"]["ok"] is True
    response, body = readyz(broken)
    assert response.status_code == 200
    assert body["dependencies"]["mail"]["ok"] is False


def test_the_ses_mail_fallback_is_checked_too(
    ready_app: MakeApp, ses: SesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", ses.url)
    app = ready_app(MAIL_FALLBACK_URL="ses://us-east-1")
    assert readyz(app)[1]["dependencies"]["mail_fallback"]["ok"] is True
    with ses.down():
        response, body = readyz(app)
    assert response.status_code == 200
    assert body["dependencies"]["mail_fallback"]["ok"] is False


def test_everything_down_at_once_still_does_not_make_it_fail(
    ready_app: MakeApp, tmp_path: Any
) -> None:
    """Calls are then answered with the generic greeting; the body says where records go."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = ready_app(
        DATABASE_URL=refused_url("postgresql", "/backline"),
        REDIS_URL=refused_url("redis", "/9"),
        STORAGE_URL=(blocker / "voicemail").as_uri(),
        SMTP_URL=refused_url("smtp"),
    )
    response, body = readyz(app)
    assert response.status_code == 200
    assert body["ready"] is True
    for name in DEPENDENCIES:
        assert body["dependencies"][name]["ok"] is False, (name, body)
    assert body["call_records"]["ok"] is False
    assert body["snapshot"]["ok"] is False
    assert "generic greeting" in body["snapshot"]["detail"]


def test_not_ready_when_signatures_cannot_be_checked_against_the_public_url(
    ready_app: MakeApp,
) -> None:
    app = ready_app(BACKLINE_PUBLIC_URL="backline.example.com")  # no scheme
    response, body = readyz(app)
    assert response.status_code == 503
    assert body["ready"] is False
    assert body["answers_calls"]["ok"] is False
    assert "BACKLINE_PUBLIC_URL" in body["answers_calls"]["detail"]
    assert body["dependencies"]["database"]["ok"] is True  # still reported


def test_not_ready_without_a_twilio_auth_token(ready_app: MakeApp) -> None:
    app = ready_app()
    app.config["TWILIO_AUTH_TOKEN"] = None  # production refuses to start so; here it is forced
    response, body = readyz(app)
    assert response.status_code == 503
    assert "TWILIO_AUTH_TOKEN" in body["answers_calls"]["detail"]


def test_the_snapshot_copy_is_reported_once_a_call_loaded_it(
    app: Flask, twilio: Any, subscriber: Any, outage: Any
) -> None:
    app.config["BACKLINE_READY_TIMEOUT_MS"] = GENEROUS_MS
    _, body = readyz(app)
    assert body["snapshot"] == {
        "ok": True,
        "detail": "no copy in this process yet; the next call loads one",
    }
    subscriber(number="+14155550100", name="Acme Plumbing")
    outage()
    twilio.post("/ivr/voice", twilio.call_params("+14155550100"))
    _, body = readyz(app)
    assert body["snapshot"]["ok"] is True
    assert body["snapshot"]["detail"].startswith("1 active outage(s) copied")
