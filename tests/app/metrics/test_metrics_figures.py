"""/metrics: its tokens, and the figures read from the database, queues and heartbeats."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db, jobs
from app.core.jobs import job
from app.core.periodic import run_once
from app.models import Call, Delivery, Voicemail, utcnow
from app.periodic_table import PERIODIC_JOBS
from app.resilience.pending import keep
from app.security.tokens import revoke_token
from tests.app.conftest import MakeApp
from tests.app.metrics.metrics_helpers import samples, scrape, value
from tests.conftest import REDIS_URL
from tests.helpers import wait_until
from tests.support.twilio import ACCOUNT_SID, TwilioHelper

_release = threading.Event()


@job("voicemail", timeout=30)
def hold_the_queue(_n: int) -> None:
    """A job that runs until the test lets it go (or 10 s pass)."""
    _release.wait(10)


def test_no_token_gets_401_with_a_bearer_challenge(client: FlaskClient) -> None:
    response = scrape(client, None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "backline token create" in response.get_json()["error"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer " + "x" * 500],
    ids=["unknown token", "basic auth", "empty bearer", "oversized token"],
)
def test_a_bad_token_gets_401(client: FlaskClient, token: str, authorization: str) -> None:
    response = client.get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_gets_401_at_once(client: FlaskClient, token: str) -> None:
    assert scrape(client, token).status_code == 200  # now remembered by this process
    revoke_token(db.session(), "prometheus")
    db.session.commit()
    assert scrape(client, token).status_code == 401  # the database answers, so it decides


def test_counts_and_latencies_come_from_the_database(client: FlaskClient, token: str) -> None:
    now = utcnow()
    session = db.session()
    for n, outcome in enumerate(["ivr", "ivr", "voicemail", None]):
        session.add(Call(call_sid=f"CA{n:032x}", outcome=outcome))

    def voicemail(n: int, status: str, recorded_s_ago: float, stored_after_s: float | None) -> Any:
        row = Voicemail(
            recording_sid=f"RE{n:032x}",
            account_sid=ACCOUNT_SID,
            call_sid=f"CA{n:032x}",
            status=status,
            recorded_at=now - timedelta(seconds=recorded_s_ago),
            processed_at=None
            if stored_after_s is None
            else now - timedelta(seconds=recorded_s_ago - stored_after_s),
        )
        session.add(row)
        return row

    fast = voicemail(1, "stored", 40, stored_after_s=10)
    slow = voicemail(2, "stored", 100, stored_after_s=60)
    voicemail(3, "stored", 3 * 3600, stored_after_s=60)  # stored long ago: outside the window
    voicemail(4, "received", 120, stored_after_s=None)  # still waiting
    session.flush()
    first = Delivery(
        voicemail=fast,
        address="a@x.example",
        state="accepted",
        accepted_at=now - timedelta(seconds=20),
    )
    session.add(first)
    session.flush()
    session.add_all(
        [
            Delivery(
                voicemail=slow,
                address="b@x.example",
                state="accepted",
                accepted_at=now - timedelta(seconds=10),
            ),
            Delivery(  # a manual resend: not part of the pipeline's latency
                voicemail=fast,
                address="a@x.example",
                state="accepted",
                accepted_at=now,
                resend_of_id=first.id,
            ),
            Delivery(
                voicemail=slow,
                address="c@x.example",
                state="pending",
                created_at=now - timedelta(seconds=50),
            ),
            Delivery(voicemail=slow, address="d@x.example", state="failed"),
        ]
    )
    session.commit()

    found = samples(scrape(client, token))

    assert value(found, "backline_dependency_up", dependency="database") == 1
    assert value(found, "backline_calls_total") == 4
    assert value(found, "backline_calls_by_outcome", outcome="ivr") == 2
    assert value(found, "backline_calls_by_outcome", outcome="voicemail") == 1
    assert value(found, "backline_calls_by_outcome", outcome="unknown") == 1
    assert value(found, "backline_voicemails", status="stored") == 3
    assert value(found, "backline_voicemails", status="received") == 1
    assert value(found, "backline_voicemails", status="held") == 0
    assert value(found, "backline_deliveries", state="accepted") == 3
    assert value(found, "backline_deliveries", state="pending") == 1
    assert value(found, "backline_deliveries", state="failed") == 1
    assert value(found, "backline_deliveries", state="bounced") == 0
    assert 120 <= (value(found, "backline_voicemail_oldest_unprocessed_age_seconds") or 0) < 150
    assert 50 <= (value(found, "backline_delivery_oldest_waiting_age_seconds") or 0) < 80
    latency = "backline_voicemail_latency_seconds"
    assert value(found, "backline_voicemail_latency_samples", stage="stored") == 2
    assert value(found, latency, stage="stored", quantile="0.5") == pytest.approx(10)
    assert value(found, latency, stage="stored", quantile="1") == pytest.approx(60)
    assert value(found, "backline_voicemail_latency_samples", stage="email_accepted") == 2
    assert value(found, latency, stage="email_accepted", quantile="0.5") == pytest.approx(20)
    assert value(found, latency, stage="email_accepted", quantile="1") == pytest.approx(90)


def test_own_webhook_failures_are_counted_by_error_code(
    client: FlaskClient, token: str, twilio: TwilioHelper
) -> None:
    requests = [
        ("", "11200"),
        ("", "11200"),
        ("", "12300"),
        ("source=trunk", "32011"),  # the primary's failure, not Backline's
        ("", None),  # unclassified: not counted as Backline's own either
    ]
    for query, code in requests:
        fields = {"ErrorCode": code} if code else {}
        call = {**twilio.call_params("+14155550100"), **fields}
        assert twilio.post("/ivr/fallback", call, query=query).status_code == 200

    found = samples(scrape(client, token))

    failures = "backline_own_webhook_failures_total"
    assert value(found, failures, error_code="11200") == 2
    assert value(found, failures, error_code="12300") == 1
    assert value(found, failures, error_code="32011") is None
    assert sum(v for (name, _), v in found.items() if name == failures) == 3


def test_periodic_job_heartbeats_and_intervals(client: FlaskClient, token: str) -> None:
    sweep = next(job for job in PERIODIC_JOBS if job.name == "sweep-voicemails")
    run_once(sweep)  # what the scheduler does: run it, then write its heartbeat
    found = samples(scrape(client, token))
    last = value(found, "backline_periodic_job_last_success_timestamp_seconds", task=sweep.name)
    assert last is not None and abs(time.time() - last) < 60
    for periodic in PERIODIC_JOBS:
        interval = value(found, "backline_periodic_job_interval_seconds", task=periodic.name)
        assert interval == periodic.every_s


def test_in_process_queue_depth_on_the_embedded_defaults(
    app: Flask, make_app: MakeApp, token: str
) -> None:
    embedded = make_app(REDIS_URL=None)
    client = embedded.test_client()
    _release.clear()
    try:
        with embedded.app_context():
            jobs.enqueue(hold_the_queue, 1)
            jobs.enqueue(hold_the_queue, 2)

        def depth(state: str) -> float | None:
            found = samples(scrape(client, token))
            return value(found, "backline_queue_jobs", queue="in-process", state=state)

        wait_until(lambda: depth("started") == 1, timeout=10)
        assert depth("queued") == 1
    finally:
        _release.set()
        with embedded.app_context():
            assert jobs.wait_idle(10)
    assert depth("queued") == 0 and depth("started") == 0


@pytest.mark.skipif(not REDIS_URL, reason="rq queues need Redis; set REDIS_URL")
def test_rq_queue_depth_pending_entries_and_heartbeats_from_redis(
    app: Flask, make_app: MakeApp, token: str, private_redis: str
) -> None:
    shared = make_app(REDIS_URL=private_redis)  # no worker listens on this Redis
    client = shared.test_client()
    with shared.app_context():
        jobs.enqueue(hold_the_queue, 1)
        jobs.enqueue(hold_the_queue, 2)
        keep(
            "call", {"call_sid": "CA" + "0" * 32, "outcome": "ivr"}
        )  # as if the database were down
    found = samples(scrape(client, token))
    assert value(found, "backline_dependency_up", dependency="redis") == 1
    assert value(found, "backline_queue_jobs", queue="voicemail", state="queued") == 2
    assert value(found, "backline_queue_jobs", queue="email", state="queued") == 0
    assert value(found, "backline_queue_jobs", queue="voicemail", state="failed") == 0
    assert value(found, "backline_pending_entries", store="redis") == 1

    with shared.app_context():
        run_once(next(job for job in PERIODIC_JOBS if job.name == "replay-pending"))
    found = samples(scrape(client, token))
    assert value(found, "backline_pending_entries", store="redis") == 0
    stamp = redis.Redis.from_url(private_redis).hget("backline:heartbeats", "replay-pending")
    assert stamp is not None  # written to Redis, not to this process's memory
    last = value(
        found, "backline_periodic_job_last_success_timestamp_seconds", task="replay-pending"
    )
    assert last is not None and abs(time.time() - last) < 60


def test_openmetrics_when_the_scraper_asks_for_it(client: FlaskClient, token: str) -> None:
    response = scrape(client, token, Accept="application/openmetrics-text; version=1.0.0")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
