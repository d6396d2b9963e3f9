"""With PostgreSQL hung, every webhook still answers within Twilio's patience.

The app reaches PostgreSQL through a proxy that freezes (tests/support/proxy.py): connections
are accepted and nothing is relayed, so the server's statement_timeout never fires and TCP sees
nothing wrong. Failure modes covered:
- a pooled connection that stops answering mid-call: cut by the call path's own bound, and the
  circuit breaker trips on that timeout (so the calls after it do not wait at all);
- the calls after it: answered by name from the snapshot cache, their records kept in the
  pending store and written once the database answers;
- request threads all stuck on the database: /healthz answers on a server with two threads;
- the breaker's probe: made in the background, never by a caller, and it closes the breaker
  once the database answers;
- Twilio's SMS status callback: a 503 at once instead of a hung request;
- any other request (here the API): a 503 after the web bound, its thread free again.
Timing bounds are generous and far below the failure they prove: on a hung database, an
unbounded wait never ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.core.db_bounds import WEB_WAIT_S
from app.core.extensions import db
from app.models import Call
from app.resilience.pending import replay_pending
from app.security.tokens import create_token
from app.twilio.simulator.media_server import MediaServer
from tests.conftest import DATABASE_URL
from tests.helpers import finishes_within, wait_until
from tests.support.app_state import dispose_engines
from tests.support.proxy import FreezableProxy, database_proxy, through
from tests.support.twilio import TwilioHelper
from tests.support.web_server import post_signed, serving
from tests.twiml import parse, said, verbs

pytestmark = pytest.mark.skipif(
    not DATABASE_URL,
    reason="SQLite has no network path to freeze; set DATABASE_URL to run against PostgreSQL",
)

ACME = "+14155550100"
GREETING = ["You have reached Acme Plumbing.", "Acme cannot take calls right now."]
CALLS = 10
ALL_CALLS_S = 8.0  # ten calls while hung, all of them; unbounded, the first never ends


@pytest.fixture
def proxy(settings: dict[str, Any]) -> Iterator[FreezableProxy]:
    with database_proxy(settings["DATABASE_URL"]) as running:
        yield running


@pytest.fixture
def hung_app(
    app: Flask, settings: dict[str, Any], proxy: FreezableProxy, subscriber: Any, outage: Any
) -> Iterator[Flask]:
    """A web process that reaches PostgreSQL through the proxy, with Acme in an outage."""
    subscriber(number=ACME, name="Acme Plumbing")
    outage(caller_message="Acme cannot take calls right now.")
    web = create_app({**settings, "DATABASE_URL": through(proxy, settings["DATABASE_URL"])})
    yield web
    proxy.thaw()
    dispose_engines(web)


@pytest.fixture
def caller(hung_app: Flask, media: MediaServer) -> TwilioHelper:
    return TwilioHelper(hung_app.test_client(), media)


def greeting(caller: TwilioHelper) -> list[str]:
    root = parse(caller.post("/ivr/voice", caller.call_params(ACME)))
    assert verbs(root)[-2:] == ["Gather", "Redirect"]  # the outage menu, not straight to voicemail
    return said(root)[:2]


def calls_recorded() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Call)) or 0)


def test_calls_are_answered_by_name_while_the_database_hangs(
    hung_app: Flask, caller: TwilioHelper, proxy: FreezableProxy
) -> None:
    assert greeting(caller) == GREETING  # the snapshot is copied while the database answers
    proxy.freeze()

    heard = finishes_within(
        ALL_CALLS_S, lambda: [greeting(caller) for _ in range(CALLS)], "calls on a hung database"
    )

    assert heard == [GREETING] * CALLS
    assert hung_app.extensions["backline.breaker"].is_open  # tripped by the client-side bound
    proxy.thaw()
    with hung_app.app_context():
        replay_pending()  # (a worker does this every few seconds)
    wait_until(lambda: calls_recorded() == 1 + CALLS)


def test_healthz_answers_while_calls_meet_a_hung_database(
    hung_app: Flask, caller: TwilioHelper, proxy: FreezableProxy
) -> None:
    assert greeting(caller) == GREETING
    proxy.freeze()
    with serving(hung_app, threads=2) as base:

        def calls_and_healthz() -> list[int]:
            with ThreadPoolExecutor(4) as pool:
                calls = [
                    pool.submit(post_signed, base, "/ivr/voice", caller.call_params(ACME), 60)
                    for _ in range(4)
                ]
                time.sleep(0.2)  # the calls take both request threads first
                healthz = requests.get(base + "/healthz", timeout=60).status_code
                return [*(call.result().status_code for call in calls), healthz]

        codes = finishes_within(ALL_CALLS_S, calls_and_healthz, "webhooks and /healthz")

    assert codes == [200] * 5


def test_the_breaker_probes_in_the_background_and_closes_once_the_database_answers(
    hung_app: Flask, caller: TwilioHelper, proxy: FreezableProxy
) -> None:
    breaker = hung_app.extensions["backline.breaker"]
    breaker.cooldown = 0.2  # the production cooldown is longer; only its length changes
    assert greeting(caller) == GREETING
    proxy.freeze()

    def calls_across_probes() -> list[list[str]]:
        heard = []
        for _ in range(CALLS):
            heard.append(greeting(caller))
            time.sleep(0.1)  # cooldowns end meanwhile: a probe starts, no caller waits for it
        return heard

    heard = finishes_within(2 * ALL_CALLS_S, calls_across_probes, "calls across probes")
    assert heard == [GREETING] * CALLS
    assert breaker.is_open

    proxy.thaw()
    wait_until(lambda: not breaker.is_open, timeout=30)
    before = calls_recorded()
    assert greeting(caller) == GREETING
    assert calls_recorded() >= before + 1  # written directly, not kept for later


def test_the_sms_status_callback_answers_503_at_once_while_the_database_hangs(
    hung_app: Flask, caller: TwilioHelper, proxy: FreezableProxy
) -> None:
    params = {"MessageSid": "SM" + "ab" * 16, "MessageStatus": "delivered"}
    assert caller.post("/forwarding/sms-status", params).status_code == 200
    proxy.freeze()

    codes = finishes_within(
        ALL_CALLS_S,
        lambda: [caller.post("/forwarding/sms-status", params).status_code for _ in range(CALLS)],
        "SMS status callbacks on a hung database",
    )

    assert codes == [503] * CALLS


def test_an_api_request_gives_up_on_a_hung_database_instead_of_holding_its_thread(
    hung_app: Flask, proxy: FreezableProxy
) -> None:
    _, secret = create_token(db.session(), "noc")
    db.session.commit()
    client = hung_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/outages", headers=headers).status_code == 200
    proxy.freeze()

    response = finishes_within(
        3 * WEB_WAIT_S, lambda: client.get("/api/v1/outages", headers=headers), "an API request"
    )

    assert response.status_code == 503, response.text
