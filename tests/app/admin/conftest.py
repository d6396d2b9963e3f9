"""Fixtures for the admin UI tests.

- `admin_account`: a real admin account (`ADMIN_LOGIN`, `ADMIN_PASSWORD`).
- `admin_client`: a test client logged in as that admin; `csrf(client)` reads the token a page
  would put in its forms.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.admin.accounts import set_admin
from app.core.extensions import db
from app.models import AdminUser

ADMIN_LOGIN = "noc@provider.example"
ADMIN_PASSWORD = "correct horse battery staple"
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


@pytest.fixture
def admin_account(app: Flask) -> AdminUser:
    admin, _ = set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    return admin


@pytest.fixture
def admin_client(app: Flask, admin_account: AdminUser) -> FlaskClient:
    client = browser(app)
    response = log_in(client)
    assert response.status_code == 302, response.text
    return client
