"""Outage scope meets POST /api/v1/outages: everyone is asked for by name, typos are refused.

Through the API with a real token, real SMTP and (when the suite runs on them) PostgreSQL and
a real worker on Redis:
- no scope, an empty object or empty lists: 422 naming the fix (`"scope": "all"`), nothing made;
- `"scope": "all"` reaches every subscriber; a non-empty scope keeps working as before;
- a scope that matches nobody: 422 naming the regions and plans that exist, unless
  `"force": true`;
- `"dry_run": true`: 200 with the count and the first notice's text; nothing made, nobody told.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import IdempotencyKey, Notice, Outage
from app.security.tokens import create_token
from tests.app.api.conftest import Api, assert_error
from tests.conftest import SmtpSink
from tests.support.app_state import settle


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def assert_nothing_happened(smtp: SmtpSink) -> None:
    assert settle()
    assert (count(Outage), count(Notice), count(IdempotencyKey)) == (0, 0, 0)
    assert smtp.messages == []


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """The API with a real token, made as `backline token create` makes one."""
    _, secret = create_token(db.session(), "noc-automation")
    db.session.commit()
    return Api(client, secret)


@pytest.fixture
def customers(subscriber: Any) -> None:
    subscriber(number="+14155550100", emails=["west@acme.example"], region="us-west", plan="basic")
    subscriber(number="+14155550101", emails=["pro@acme.example"], region="us-west", plan="premium")
    subscriber(number="+12125550142", emails=["east@acme.example"], region="us-east", plan="basic")


@pytest.mark.parametrize(
    "body",
    [
        {"message": "Down."},
        {"message": "Down.", "scope": {}},
        {"message": "Down.", "scope": {"regions": [], "numbers": [], "plans": []}},
        {"message": "Down.", "scope": None},
    ],
    ids=["no scope", "empty object", "empty lists", "null"],
)
def test_no_scope_is_422_naming_the_fix(
    api: Api, customers: None, smtp: SmtpSink, body: dict[str, Any]
) -> None:
    response = api.post("/outages", json=body, headers={"Idempotency-Key": "no-scope-1"})

    error = assert_error(response, 422, "scope:", '"all"', "every subscriber")
    assert error["field"] == "scope"
    assert_nothing_happened(smtp)


def test_another_word_for_everyone_is_422(api: Api, customers: None, smtp: SmtpSink) -> None:
    response = api.post("/outages", json={"message": "Down.", "scope": "everyone"})

    assert_error(response, 422, "scope:", '"all"', "'everyone'")
    assert_nothing_happened(smtp)


def test_scope_all_reaches_every_subscriber(api: Api, customers: None, smtp: SmtpSink) -> None:
    response = api.post("/outages", json={"message": "Down everywhere.", "scope": "all"})

    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["affected"] == 3
    assert body["scope"] == {"regions": [], "numbers": [], "plans": []}
    assert settle()
    emails = smtp.wait_for(3)
    assert {str(m["To"]) for m in emails} == {
        "west@acme.example",
        "pro@acme.example",
        "east@acme.example",
    }


def test_a_non_empty_scope_works_as_before(api: Api, customers: None, smtp: SmtpSink) -> None:
    response = api.post("/outages", json={"message": "West.", "scope": {"regions": ["us-west"]}})

    assert response.status_code == 201, response.text
    assert response.get_json()["affected"] == 2
    assert settle()
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == [
        "pro@acme.example",
        "west@acme.example",
    ]


def test_a_scope_matching_nobody_is_422_naming_what_exists(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    response = api.post("/outages", json={"message": "M", "scope": {"regions": ["us-wst"]}})

    error = assert_error(
        response,
        422,
        "No subscriber matches region us-wst.",
        "Regions that exist: us-east, us-west.",
        "Plans that exist: basic, premium.",
        '"force": true',
    )
    assert error["field"] == "scope"
    assert_nothing_happened(smtp)


def test_force_starts_an_outage_for_a_number_not_imported_yet(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    body = {"message": "M", "scope": {"numbers": ["+33 1 42 68 53 00"]}, "force": True}

    response = api.post("/outages", json=body)

    assert response.status_code == 201, response.text
    assert response.get_json()["affected"] == 0
    assert response.get_json()["scope"]["numbers"] == ["+33142685300"]
    assert settle() and smtp.messages == []


def test_dry_run_answers_the_count_and_first_notice_and_creates_nothing(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    body = {
        "message": "SIP trunk west is down.",
        "scope": {"regions": ["us-west"]},
        "dry_run": True,
    }

    response = api.post("/outages", json=body, headers={"Idempotency-Key": "dry-1"})

    assert response.status_code == 200, response.text
    answer = response.get_json()
    assert answer["dry_run"] is True and answer["affected"] == 2
    notice = answer["first_notice"]
    assert notice["to"] == "west@acme.example"
    assert notice["subject"].startswith("Service disruption")
    assert "SIP trunk west is down." in notice["text"]
    assert "This concerns: +1 415-555-0100." in notice["text"]
    assert_nothing_happened(smtp)


def test_a_dry_run_is_held_to_the_same_scope_rules(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    refused = api.post("/outages", json={"scope": {"plans": ["gold"]}, "dry_run": True})
    forced = api.post(
        "/outages", json={"scope": {"plans": ["gold"]}, "dry_run": True, "force": True}
    )

    assert_error(refused, 422, "No subscriber matches plan gold")
    assert forced.status_code == 200, forced.text
    assert forced.get_json() == {"dry_run": True, "affected": 0, "first_notice": None}
    assert_nothing_happened(smtp)


@pytest.mark.parametrize("name", ["force", "dry_run"])
def test_force_and_dry_run_are_booleans(api: Api, customers: None, name: str) -> None:
    response = api.post("/outages", json={"scope": "all", name: "yes"})

    assert_error(response, 422, f"{name}: expected true or false")
    assert count(Outage) == 0
