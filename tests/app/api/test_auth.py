"""Bearer tokens: every API route but the OpenAPI document demands a valid, unrevoked one."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.extensions import db
from app.models import ApiToken
from app.security.tokens import hash_token, revoke_token
from tests.app.api.conftest import PREFIX, Api, assert_error

PUBLIC = {f"{PREFIX}/openapi.json"}


def api_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, concrete path) for every /api/v1 route, with 1 for each path variable."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.rule in PUBLIC:
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)
        routes += [(m, path) for m in sorted(rule.methods or ()) if m not in {"HEAD", "OPTIONS"}]
    return routes


def test_every_api_route_but_the_document_needs_a_token(app: Flask, client: FlaskClient) -> None:
    routes = api_routes(app)
    assert len(routes) >= 15, routes  # the walk found the API, not an empty map

    for method, path in routes:
        response = client.open(path, method=method, json={})
        assert_error(response, 401, "API token")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)


def test_the_openapi_document_needs_no_token(client: FlaskClient) -> None:
    response = client.get(f"{PREFIX}/openapi.json")

    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer" + " x" * 200,
        "Bearer " + "a" * 5000,
    ],
    ids=["unknown", "empty", "basic", "junk", "huge"],
)
def test_a_bad_token_is_401(client: FlaskClient, token: tuple[ApiToken, str], header: str) -> None:
    response = client.get(f"{PREFIX}/outages", headers={"Authorization": header})

    assert_error(response, 401, "not valid")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_with_a_character_changed_is_401(client: FlaskClient, token: tuple) -> None:
    _, secret = token
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = client.get(f"{PREFIX}/outages", headers={"Authorization": f"Bearer {altered}"})

    assert_error(response, 401)


def test_a_revoked_token_is_401(api: Api, token: tuple[ApiToken, str]) -> None:
    assert api.get("/outages").status_code == 200

    revoke_token(db.session(), token[0].name)
    db.session.commit()

    assert_error(api.get("/outages"), 401, "revoked")


def test_only_the_hash_is_stored_and_use_is_noted(api: Api, token: tuple[ApiToken, str]) -> None:
    row, secret = token
    assert row.last_used_at is None

    assert api.get("/outages").status_code == 200

    db.session.expire_all()
    stored = db.session.get(ApiToken, row.id)
    assert stored is not None
    assert stored.token_hash == hash_token(secret) != secret
    assert secret not in (stored.name, stored.token_hash)
    assert stored.last_used_at is not None


def test_the_scheme_name_is_case_insensitive(client: FlaskClient, token: tuple) -> None:
    response = client.get(f"{PREFIX}/outages", headers={"Authorization": f"bearer {token[1]}"})

    assert response.status_code == 200, response.text
