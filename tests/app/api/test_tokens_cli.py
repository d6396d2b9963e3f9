"""`backline token create|list|revoke`, driven through the real CLI."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.extensions import db
from app.models import ApiToken
from tests.app.api.conftest import PREFIX
from tests.conftest import Invoke


def create(cli: Invoke, name: str) -> str:
    result = cli("token", "create", name)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def status(client: FlaskClient, secret: str) -> int:
    response = client.get(f"{PREFIX}/outages", headers={"Authorization": f"Bearer {secret}"})
    return response.status_code


def test_create_prints_a_working_token_alone_on_the_last_line(
    cli: Invoke, client: FlaskClient
) -> None:
    secret = create(cli, "grafana")

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret), secret
    assert status(client, secret) == 200
    [row] = db.session.scalars(select(ApiToken)).all()
    assert row.name == "grafana"
    assert secret not in row.token_hash


def test_list_never_shows_tokens(cli: Invoke) -> None:
    first = create(cli, "grafana")
    second = create(cli, "pagerduty")
    assert cli("token", "revoke", "grafana").exit_code == 0

    result = cli("token", "list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["grafana", "pagerduty"]
    assert "revoked" in lines[0] and "active" in lines[1]
    assert first not in result.output and second not in result.output


@pytest.mark.parametrize("by", ["name", "id"])
def test_revoke_by_name_or_id_makes_the_token_fail(
    cli: Invoke, client: FlaskClient, by: str
) -> None:
    secret = create(cli, "grafana")
    keep = create(cli, "pagerduty")
    row = db.session.scalars(select(ApiToken).where(ApiToken.name == "grafana")).one()

    result = cli("token", "revoke", "grafana" if by == "name" else str(row.id))

    assert result.exit_code == 0, result.output
    assert status(client, secret) == 401
    assert status(client, keep) == 200


def test_a_name_can_be_reused_once_its_token_is_revoked(cli: Invoke, client: FlaskClient) -> None:
    old = create(cli, "ci")
    duplicate = cli("token", "create", "ci")
    assert duplicate.exit_code == 1 and "already called 'ci'" in duplicate.stderr

    assert cli("token", "revoke", "ci").exit_code == 0
    new = create(cli, "ci")

    assert status(client, old) == 401
    assert status(client, new) == 200


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("create", "has space"), "not a usable token name"),
        (("create", "42"), "not only digits"),
        (("create", "x" * 101), "not a usable token name"),
        (("revoke", "nobody"), "no active token"),
        (("revoke", "999"), "no active token"),
    ],
)
def test_clear_errors(cli: Invoke, args: tuple[str, ...], phrase: str) -> None:
    result = cli("token", *args)

    assert result.exit_code == 1, result.output
    assert phrase in result.stderr
    assert "Traceback" not in result.output
    assert db.session.scalars(select(ApiToken)).all() == []


def test_revoking_twice_says_so(cli: Invoke) -> None:
    create(cli, "grafana")
    row = db.session.scalars(select(ApiToken)).one()
    assert cli("token", "revoke", str(row.id)).exit_code == 0

    again = cli("token", "revoke", str(row.id))

    assert again.exit_code == 1 and "revoked already" in again.stderr
