"""Sessions are read only from requests that carry the admin cookie; webhooks never get one."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


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
