"""Bad input to every writing endpoint is a 4xx JSON sentence naming the field, never a 500."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.api.payload import JSON_LIMIT
from app.core.extensions import db
from app.models import Outage, OutageEvent, Subscriber
from tests.app.api.conftest import Api, assert_error
from tests.helpers import free_port
from tests.support.app_state import built_app

PAST = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

OUTAGE_START = [
    ({"mesage": "typo"}, 422, "mesage", "unknown field"),
    ({"message": 42}, 422, "message", "expected a string"),
    ({"message": "   "}, 422, "message", "blank"),
    ({"message": "x" * 2001}, 422, "message", "at most 2000"),
    ({"message": "a\u0000b"}, 422, "message", "NUL"),
    ({"message": "\ud800"}, 422, "message", "surrogate"),
    ({"etr": PAST}, 422, "etr", "in the past"),
    ({"etr": "tomorrow at ten"}, 422, "etr", "ISO 8601"),
    ({"etr": 1735689600}, 422, "etr", "expected an ISO 8601"),
    ({"etr": "9999-12-31T23:59:59-05:00"}, 422, "etr", "ISO 8601"),
    ({"message": "M"}, 422, "scope", 'or "all" to reach every subscriber'),
    ({"scope": {}}, 422, "scope", 'or "all" to reach every subscriber'),
    ({"scope": {"plans": []}}, 422, "scope", 'or "all" to reach every subscriber'),
    ({"scope": "everyone"}, 422, "scope", "expected an object or \"all\", got 'everyone'"),
    ({"scope": {"regions": ["nowhere"]}}, 422, "scope", "No subscriber matches region nowhere"),
    ({"scope": "all", "force": "yes"}, 422, "force", "expected true or false"),
    ({"scope": "all", "dry_run": 1}, 422, "dry_run", "expected true or false"),
    ({"scope": ["us-west"]}, 422, "scope", "expected an object"),
    ({"scope": {"region": ["us-west"]}}, 422, "scope.region", "unknown field"),
    ({"scope": {"regions": "us-west"}}, 422, "scope.regions", "array of strings"),
    ({"scope": {"regions": [1]}}, 422, "scope.regions[0]", "expected a string"),
    ({"scope": {"regions": ["x" * 51]}}, 422, "scope.regions[0]", "at most 50"),
    ({"scope": {"numbers": ["+14155550100", "555-0100"]}}, 422, "scope.numbers[1]", "555-0100"),
    ({"caller_messages": {"de": "Hallo"}}, 422, "caller_messages.de", "not supported"),
    ({"caller_messages": ["es"]}, 422, "caller_messages", "expected an object"),
    ({"subscriber_messages": {"es": None}}, 422, "subscriber_messages.es", "expected a string"),
]


@pytest.mark.parametrize(("body", "status", "field", "phrase"), OUTAGE_START)
def test_bad_outage_starts(api: Api, body: dict, status: int, field: str, phrase: str) -> None:
    response = api.post("/outages", json=body)

    error = assert_error(response, status, phrase)
    assert error.get("field") == field
    assert field in error["error"]
    assert db.session.scalar(select(func.count()).select_from(Outage)) == 0


OUTAGE_UPDATE = [
    ({}, 422, "body", "at least one"),
    ({"state": "panicking"}, 422, "state", "expected one of"),
    ({"state": ["resolved"]}, 422, "state", "expected one of"),
    ({"etr": PAST}, 422, "etr", "in the past"),
    ({"scope": {}}, 422, "scope", "unknown field"),
    ({"caller_message": ""}, 422, "caller_message", "blank"),
]


@pytest.mark.parametrize(("body", "status", "field", "phrase"), OUTAGE_UPDATE)
def test_bad_outage_updates(
    api: Api, outage: Any, body: dict, status: int, field: str, phrase: str
) -> None:
    row = outage()

    error = assert_error(api.patch(f"/outages/{row.id}", json=body), status, phrase)

    assert error.get("field") == field
    assert db.session.scalar(select(func.count()).select_from(OutageEvent)) == 1  # the start


SUBSCRIBER_CREATE = [
    ({"emails": ["a@x.example"]}, "number", "is required"),
    ({"number": "+14155550100"}, "emails", "is required"),
    ({"number": "555", "emails": ["a@x.example"]}, "number", "is not a phone number"),
    ({"number": 14155550100, "emails": ["a@x.example"]}, "number", "as a string"),
    ({"number": "+14155550100", "emails": "a@x.example"}, "emails", "non-empty array"),
    ({"number": "+14155550100", "emails": []}, "emails", "non-empty array"),
    ({"number": "+14155550100", "emails": ["nope"]}, "emails[0]", "not an email address"),
    ({"number": "+14155550100", "emails": ["a@x.example"], "timezone": "Mars/Base"}, "timezone",
     "IANA"),
    ({"number": "+14155550100", "emails": ["a@x.example"], "language": "de"}, "language",
     "not supported"),
    ({"number": "+14155550100", "emails": ["a@x.example"], "name": "n" * 201}, "name",
     "at most 200"),
    ({"number": "+14155550100", "emails": ["a@x.example"], "backup_number": "+14155550100"},
     "backup_number", "own number"),
    ({"number": "+14155550100", "emails": ["a@x.example"], "id": 7}, "id", "unknown field"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field", "phrase"), SUBSCRIBER_CREATE)
def test_bad_subscribers(api: Api, body: dict, field: str, phrase: str) -> None:
    error = assert_error(api.post("/subscribers", json=body), 422, phrase)

    assert error.get("field") == field
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


@pytest.mark.parametrize(
    ("kwargs", "status", "phrase"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "JSON object"),
        ({"data": "null", "content_type": "application/json"}, 400, "JSON object"),
        ({"data": '{"message": NaN}', "content_type": "application/json"}, 400, "NaN"),
        ({"data": "[" * JSON_LIMIT, "content_type": "application/json"}, 413, "larger than 4 MiB"),
        ({"data": "[" * 20_000 + "]" * 20_000, "content_type": "application/json"}, 400, "JSON"),
        ({"data": b'{"message": "\xff"}', "content_type": "application/json"}, 400, "JSON"),
        ({"data": "message=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        ({"data": "", "content_type": "application/json"}, 400, "not valid JSON"),
    ],
    ids=["syntax", "array", "null", "nan", "oversized", "deep", "not-utf8", "form", "empty"],
)
@pytest.mark.parametrize("path", ["/outages", "/subscribers"])
def test_malformed_bodies(
    api: Api, path: str, kwargs: dict[str, Any], status: int, phrase: str
) -> None:
    assert_error(api.post(path, **kwargs), status, phrase)


def test_an_oversized_chunked_body_without_content_length_is_413(api: Api) -> None:
    body = b'{"message": "' + b"x" * JSON_LIMIT + b'"}'
    builder = EnvironBuilder(
        path="/api/v1/outages",
        method="POST",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.secret}", "Transfer-Encoding": "chunked"},
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True  # the server de-chunks and marks the stream's end

    app_iter, status, headers = run_wsgi_app(api.client.application, environ)
    answer = b"".join(app_iter)

    assert status.startswith("413"), (status, answer)
    assert "larger" in json.loads(answer)["error"]
    assert headers["Content-Type"] == "application/json"
    assert db.session.scalar(select(func.count()).select_from(Outage)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere",
        "/outages/abc",
        "/outages/-1",
        "/subscribers/99999999999999999999999",
        "/voicemails/0",
        "/deliveries/1.5",
    ],
)
def test_unknown_routes_and_bad_ids_are_404_json(api: Api, path: str) -> None:
    assert_error(api.get(path), 404)


def test_a_wrong_method_is_405_json(api: Api) -> None:
    assert_error(api.request("PUT", "/outages"), 405)


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "per_page=100000",
        "page=00000000000000000000001",
        "page=\u0661",  # an Arabic-Indic digit
        "q=" + "x" * 101,
    ],
)
def test_bad_query_parameters_are_400(api: Api, query: str) -> None:
    assert_error(api.get(f"/subscribers?{query}"), 400, "Query parameter")


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("/outages?all=maybe", "all"),
        ("/voicemails?status=lost", "status"),
        ("/voicemails?since=yesterday", "since"),
        ("/voicemails?subscriber_id=-4", "subscriber_id"),
        ("/deliveries?state=delivered", "state"),
        ("/deliveries?voicemail_id=99999999999", "voicemail_id"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(api: Api, path: str, phrase: str) -> None:
    assert_error(api.get(path), 400, phrase)


def test_a_database_that_cannot_be_reached_is_503_not_500(settings: dict[str, Any]) -> None:
    down = f"postgresql://backline@127.0.0.1:{free_port()}/backline"  # nothing listens there
    with built_app({**settings, "DATABASE_URL": down}) as unreachable:
        client = unreachable.test_client()
        response = client.get("/api/v1/outages", headers={"Authorization": "Bearer whatever"})

    assert_error(response, 503, "database cannot be reached")
    assert response.headers["Retry-After"]


def test_a_json_body_sent_as_csv_gets_no_larger_limit(api: Api) -> None:
    body = '{"message": "' + "x" * JSON_LIMIT + '"}'

    assert_error(api.post("/outages", data=body, content_type="text/csv"), 413, "4 MiB")
