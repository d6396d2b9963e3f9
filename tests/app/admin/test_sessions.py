"""Sessions are read only from requests that carry the admin cookie; webhooks never get one.

Logging out ends the session for every copy of its cookie, not only the browser's own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.app.admin.conftest import browser, csrf, log_in


def test_a_webhook_answer_sets_no_cookie_and_varies_on_none(twilio: Any) -> None:
    response = twilio.post("/ivr/voice", twilio.call_params("+14155550100"))

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_a_logged_in_admin_is_still_recognised_by_their_cookie(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/").status_code == 200


def test_a_forged_cookie_is_an_anonymous_session(admin_client: FlaskClient) -> None:
    admin_client.set_cookie("backline_admin", "forged.value.here")

    response = admin_client.get("/admin/")

    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_cookie_copied_before_logout_is_refused_after_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    cookie = admin_client.get_cookie("backline_admin")
    assert cookie is not None
    copy = browser(app)
    copy.set_cookie("backline_admin", cookie.value)
    assert copy.get("/admin/").status_code == 200  # a copy works while the session lives

    logged_out = admin_client.post("/admin/logout", data={"csrf_token": csrf(admin_client)})
    assert logged_out.status_code == 302

    refused = copy.get("/admin/")
    assert refused.status_code == 302 and "/admin/login" in refused.headers["Location"]
    assert log_in(admin_client).status_code == 302  # a new login does not revive the copy
    assert copy.get("/admin/").status_code == 302
    assert admin_client.get("/admin/").status_code == 200
