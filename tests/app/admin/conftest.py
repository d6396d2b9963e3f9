"""Fixtures for the admin UI tests.

- `admin_account`: a real admin account (`ADMIN_LOGIN`, `ADMIN_PASSWORD`), its password hashed
  once for the session (argon2 costs a fifth of a second of CPU a hash, by design).
- `admin_client`: a test client with the session a login gives that admin, set without checking
  the password again (tests/app/admin/test_login.py logs in through the form);
  `csrf(client)` reads the token a page would put in its forms, and `post` sends an outage
  form with it; `later(hours)` is an ETR typed as the form's box shows it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.admin.auth import SESSION_KEY
from app.admin.passwords import hash_password
from app.core.extensions import db
from app.models import AdminUser

ADMIN_LOGIN = "noc@provider.example"
ADMIN_PASSWORD = "correct horse battery staple"
ACTOR = f"admin:{ADMIN_LOGIN}"  # how the outage history names that admin
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf(client: FlaskClient, path: str = "/admin/") -> str:
    """The CSRF token of the client's session, as the page at `path` embeds it."""
    page = client.get(path)
    match = CSRF_INPUT.search(page.text)
    assert match, f"no CSRF token on {path}: {page.status_code}"
    return match.group(1)


def browser(app: Flask) -> FlaskClient:
    """A test client speaking https, as browsers reach the admin UI (its cookie is Secure)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def log_in(client: FlaskClient, email: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD) -> Any:
    token = csrf(client, "/admin/login")
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture(scope="session")
def admin_password_hash() -> str:
    return hash_password(ADMIN_PASSWORD)


@pytest.fixture
def admin_account(app: Flask, admin_password_hash: str) -> AdminUser:
    admin = AdminUser(email=ADMIN_LOGIN, password_hash=admin_password_hash)
    db.session.add(admin)
    db.session.commit()
    return admin


@pytest.fixture
def admin_client(app: Flask, admin_account: AdminUser) -> FlaskClient:
    client = browser(app)
    with client.session_transaction() as session:  # what app.admin.auth.log_in leaves
        session[SESSION_KEY] = [admin_account.id, admin_account.session_version]
        session.permanent = True
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> TestResponse:
    """POST as the page's form would, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client, "/admin/outages/new"), **data})


def later(hours: int = 2) -> str:
    """A time ahead, typed as the ETR box shows it: UTC on a 24-hour clock."""
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")
