"""Logging in and out: argon2 passwords, CSRF, a growing delay and never a lockout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from app.admin.passwords import DUMMY_HASH, needs_rehash, verify
from app.core.extensions import db
from app.models import AdminUser, LoginThrottle
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, browser, csrf, log_in
from tests.conftest import Invoke


def test_pages_need_a_login_and_come_back_after_it(app: Flask, admin_account: AdminUser) -> None:
    client = browser(app)
    answer = client.get("/admin/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=")
    logged_in = log_in(client)
    assert logged_in.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert admin_account.password_hash.startswith("$argon2id$")


def test_a_wrong_password_or_unknown_account_gets_the_same_answer(
    app: Flask, admin_account: AdminUser
) -> None:
    client = browser(app)
    wrong = log_in(client, password="not the password at all")
    unknown = log_in(client, email="nobody@provider.example")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an admin account" in wrong.text
    assert client.get("/admin/").status_code == 302


def test_a_login_without_its_csrf_token_is_refused(app: Flask, admin_account: AdminUser) -> None:
    client = browser(app)
    client.get("/admin/login")
    answer = client.post("/admin/login", data={"email": ADMIN_LOGIN, "password": ADMIN_PASSWORD})
    assert answer.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_failures_grow_a_delay_that_lapses_and_never_locks_out(
    app: Flask, admin_account: AdminUser
) -> None:
    client = browser(app)
    for _ in range(6):
        _let_delays_lapse()  # so that each guess is checked and counted
        assert log_in(client, password="guessing wrong again").status_code == 401
    throttled = log_in(client)  # even the right password waits its turn
    assert throttled.status_code == 429
    assert "Wait" in throttled.text

    _let_delays_lapse()
    assert log_in(client).status_code == 302


def _let_delays_lapse() -> None:
    for row in db.session.query(LoginThrottle):
        row.last_failure_at -= timedelta(minutes=10)
    db.session.commit()


def test_logout_needs_the_token_and_ends_the_session(admin_client: FlaskClient) -> None:
    assert admin_client.post("/admin/logout").status_code == 400
    assert admin_client.get("/admin/").status_code == 200
    token = csrf(admin_client)
    assert admin_client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(app: Flask, admin_account: Any) -> None:
    client = browser(app)
    answer = log_in(client)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # the test public URL is https


def test_admin_create_asks_twice_and_a_new_password_ends_old_sessions(
    cli: Invoke, admin_client: FlaskClient
) -> None:
    weak = cli("admin", "create", "ops@provider.example", "--password", "short")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    changed = cli("admin", "create", ADMIN_LOGIN, "--password", "another long passphrase")
    assert changed.exit_code == 0, changed.output
    assert admin_client.get("/admin/").status_code == 302  # logged out everywhere
    assert cli("admin", "unlock", "nobody@provider.example").exit_code != 0


def test_admin_errors_are_pages_for_people(admin_client: FlaskClient) -> None:
    missing = admin_client.get("/admin/outages/99999")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert "nothing at this address" in missing.text
    expired = admin_client.post("/admin/logout", data={"csrf_token": "stale"})
    assert expired.status_code == 400 and "reload the page" in expired.text


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    """An unknown address is checked against DUMMY_HASH, a literal: it must be a valid hash with
    the parameters real hashes get, or the time of the answer would tell which accounts exist."""
    assert PasswordHasher().verify(DUMMY_HASH, "backline-no-such-account")
    assert not needs_rehash(DUMMY_HASH)
    assert verify(None, "backline-no-such-account") is False
