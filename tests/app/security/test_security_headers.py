"""Security headers on every answer: admin and status pages, the API, TwiML, errors.

Failure modes named here: a page framed by another site, a token URL leaking through Referer,
a browser sniffing JSON into HTML, an admin or status page left in a cache, an inline script
running without this response's nonce, plain http after https was seen. The browser tests in
tests/browser/ load every admin page under this policy and fail on anything it refuses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.admin.accounts import set_admin
from app.core.extensions import db
from app.security.links import status_url, unsubscribe_url
from app.security.tokens import create_token
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, browser, log_in
from tests.conftest import PUBLIC_URL
from tests.support.app_state import dispose_engines
from tests.support.twilio import TwilioHelper

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",  # the suite's public URL is https
}
SCRIPT_NONCE = re.compile(r'<script nonce="([^"]+)">')


def assert_hardened(response: TestResponse) -> None:
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))


def policy(response: TestResponse) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    pairs = (part.strip().partition(" ") for part in header.split(";"))
    return {name: sources for name, _, sources in pairs}


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL), url
    return url[len(PUBLIC_URL) :]


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    client = browser(app)
    assert log_in(client).status_code == 302
    return client


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/outages", "/admin/subscribers", "/admin/deliveries"]
)
def test_admin_pages_cannot_be_framed_cached_or_run_scripts(admin: FlaskClient, path: str) -> None:
    page = admin.get(path)
    assert page.status_code == 200
    assert_hardened(page)
    assert page.headers["Cache-Control"] == "no-store"
    directives = policy(page)
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'none'"  # no script on these pages: none may run
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"


def test_the_one_inline_script_runs_by_a_nonce_fresh_for_each_page(admin: FlaskClient) -> None:
    first, second = admin.get("/admin/outages/new"), admin.get("/admin/outages/new")
    nonces = []
    for page in (first, second):
        found = SCRIPT_NONCE.findall(page.text)
        assert len(found) == 1 and len(found[0]) >= 16
        assert policy(page)["script-src"] == f"'nonce-{found[0]}'"
        assert "connect-src" in policy(page)  # the live count is fetched from this site
        nonces.append(found[0])
    assert nonces[0] != nonces[1]
    assert "<script>" not in first.text  # every script tag carries the nonce


def test_listen_links_may_play_on_admin_pages_from_the_public_url(admin: FlaskClient) -> None:
    page = admin.get("/admin/")
    assert policy(page)["media-src"] == f"'self' {PUBLIC_URL}"


def test_the_login_page_and_admin_errors_are_hardened_too(app: Flask) -> None:
    client = app.test_client()
    for response, status in ((client.get("/admin/login"), 200), (client.get("/admin/nope"), 404)):
        assert response.status_code == status
        assert_hardened(response)
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in response.headers


def test_status_and_unsubscribe_pages_keep_their_own_stricter_policy(
    client: FlaskClient, subscriber: Any
) -> None:
    row = subscriber()
    for url in (status_url([row.id]), unsubscribe_url("email", "office@acme.example")):
        page = client.get(path_of(url))
        assert page.status_code == 200
        assert_hardened(page)
        assert page.headers["Cache-Control"] == "private, no-store"
        directives = policy(page)
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "script-src" not in directives  # default-src 'none': no script at all


def test_api_answers_are_hardened_json_without_a_page_policy(client: FlaskClient) -> None:
    _row, secret = create_token(db.session(), "headers")
    db.session.commit()
    for response in (
        client.get("/api/v1/outages", headers={"Authorization": f"Bearer {secret}"}),
        client.get("/api/v1/outages"),  # the 401 too
    ):
        assert response.is_json
        assert_hardened(response)
        assert "Content-Security-Policy" not in response.headers  # pages only


def test_twiml_keeps_working_with_the_headers_on(
    twilio: TwilioHelper, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    answer = twilio.post("/ivr/voice", TwilioHelper.call_params("+14155550100"))
    assert answer.status_code == 200
    assert answer.mimetype in ("text/xml", "application/xml")
    assert ET.fromstring(answer.data).tag == "Response"
    assert_hardened(answer)
    refused = twilio.post("/ivr/voice", TwilioHelper.call_params("+14155550100"), signature="x")
    assert refused.status_code == 403
    assert_hardened(refused)


def test_health_is_hardened(client: FlaskClient) -> None:
    assert_hardened(client.get("/healthz"))


def test_no_strict_transport_security_when_the_public_url_is_plain_http(
    settings: dict[str, Any], app: Flask
) -> None:
    plain = create_app({**settings, "BACKLINE_PUBLIC_URL": "http://127.0.0.1:5000"})
    try:
        answer = plain.test_client().get("/admin/login")
        assert "Strict-Transport-Security" not in answer.headers
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert policy(answer)["media-src"] == "'self' http://127.0.0.1:5000"
    finally:
        dispose_engines(plain)
