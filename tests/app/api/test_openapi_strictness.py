"""The OpenAPI document is as strict as the server: what the server refuses for its form, the
document refuses too, and what the server takes, the document allows.

Each case is sent to the server (which must answer as the table says) and checked against the
operation's schema in /api/v1/openapi.json, so the table cannot drift from either.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.app.api.conftest import PREFIX, Api

REFUSED = [
    # (method, path, where, name, value, status)
    ("get", "/voicemails", "query", "since", "yesterday", 400),
    ("get", "/voicemails", "query", "since", "2026-11-22T10", 400),
    ("get", "/voicemails", "query", "since", "2026-13-01", 400),
    ("post", "/outages", "header", "Idempotency-Key", "x" * 256, 400),
    ("post", "/outages", "header", "Idempotency-Key", "caf\u00e9", 400),
    ("post", "/outages", "header", "Idempotency-Key", "   ", 400),
    ("post", "/outages", "body", "scope", None, 422),
    ("post", "/outages", "body", "scope", {}, 422),
    ("post", "/outages", "body", "scope", {"regions": [], "plans": []}, 422),
    ("post", "/outages", "body", "scope", "everyone", 422),
    ("post", "/outages", "body", "scope", {"numbers": ["555-0100"]}, 422),
    ("post", "/outages", "body", "etr", "tomorrow at ten", 422),
    ("post", "/outages", "body", "force", "yes", 422),
    ("post", "/subscribers", "body", "number", "(415) 555-0100", 422),
    ("post", "/subscribers", "body", "number", "tel:+14155550100", 422),
    ("post", "/subscribers", "body", "number", "+1 415 555 0100 ext. 12", 422),
    ("post", "/subscribers", "body", "backup_number", "555", 422),
    ("post", "/subscribers", "body", "name", "   ", 422),
    ("post", "/subscribers", "body", "emails", ["not an address"], 422),
    ("post", "/deliveries/{delivery_id}/retry", "body", "to", "not an address", 422),
    ("post", "/deliveries/{delivery_id}/retry", "body", "to", "Ops <ops@acme.example>", 422),
    ("post", "/deliveries/{delivery_id}/retry", "body", "to", "   ", 422),
    ("put", "/outages/{outage_id}/report", "body", "report", " \n\t ", 422),
    ("put", "/outages/{outage_id}/report", "body", "report", "", 422),
]
ACCEPTED = [
    ("get", "/voicemails", "query", "since", "2026-11-22"),
    ("get", "/voicemails", "query", "since", "2026-11-22T10:00"),
    ("get", "/voicemails", "query", "since", "2026-11-22 10:00:00.5+01:00"),
    ("post", "/outages", "header", "Idempotency-Key", "0b7c5a8e-4f1d-4c8e-9d7a-1b2c3d4e5f60"),
    ("post", "/outages", "body", "scope", "all"),
    ("post", "/outages", "body", "scope", {"numbers": ["+1 (415) 555-0100"]}),
    ("post", "/outages", "body", "etr", "2999-01-01T10:00Z"),
    ("post", "/subscribers", "body", "number", "+33 1 42 68 53 00"),
    ("post", "/deliveries/{delivery_id}/retry", "body", "to", "ops@acme.example"),
    ("put", "/outages/{outage_id}/report", "body", "report", "It was the SBC."),
]
BASE_BODIES: dict[str, dict[str, Any]] = {
    "/outages": {"message": "Down.", "scope": "all", "force": True},
    "/subscribers": {"number": "+14155550199", "emails": ["a@acme.example"]},
    "/deliveries/{delivery_id}/retry": {},
    "/outages/{outage_id}/report": {"report": "What happened."},
}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    return dict(client.get(f"{PREFIX}/openapi.json").get_json())


def schema_for(document: dict[str, Any], method: str, path: str, where: str, name: str) -> Any:
    """The schema the document gives one parameter, header or body property."""
    operation = document["paths"][path][method]
    if where == "body":
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        return {"$ref": body["$ref"]}
    for parameter in operation.get("parameters", []):
        if parameter["name"] == name and parameter["in"] == where:
            return parameter["schema"]
    raise AssertionError(f"{method} {path} has no {where} parameter {name}")


def allows(document: dict[str, Any], schema: Any, instance: Any) -> bool:
    return Draft202012Validator({**document, **schema}).is_valid(instance)


def instance_of(path: str, where: str, name: str, value: Any) -> Any:
    """What the schema is checked against: the value, or the whole body holding it."""
    if where != "body":
        return value
    body = dict(BASE_BODIES[path])
    if value is None:
        body.pop(name, None)
    else:
        body[name] = value
    return body


def send(api: Api, outage: Any, method: str, path: str, where: str, name: str, value: Any) -> Any:
    outage_id = 0
    if "{outage_id}" in path:  # a report needs a resolved outage to reach its checks
        outage_id = outage().id
        assert api.post(f"/outages/{outage_id}/resolve").status_code == 200
    concrete = path.format(outage_id=outage_id, delivery_id=999)
    if where == "query":
        return api.request(method.upper(), concrete, query_string={name: value})
    if where == "header":
        body = BASE_BODIES[path]
        return api.request(method.upper(), concrete, json=body, headers={name: value})
    return api.request(method.upper(), concrete, json=instance_of(path, where, name, value))


@pytest.mark.parametrize(("method", "path", "where", "name", "value", "status"), REFUSED)
def test_what_the_server_refuses_the_document_refuses(
    api: Api,
    outage: Any,
    document: dict[str, Any],
    method: str,
    path: str,
    where: str,
    name: str,
    value: Any,
    status: int,
) -> None:
    response = send(api, outage, method, path, where, name, value)
    assert response.status_code == status, response.text

    schema = schema_for(document, method, path, where, name)
    assert not allows(document, schema, instance_of(path, where, name, value)), schema


@pytest.mark.parametrize(("method", "path", "where", "name", "value"), ACCEPTED)
def test_what_the_server_takes_the_document_allows(
    api: Api,
    outage: Any,
    document: dict[str, Any],
    method: str,
    path: str,
    where: str,
    name: str,
    value: Any,
) -> None:
    response = send(api, outage, method, path, where, name, value)
    assert response.status_code not in (400, 422), response.text

    schema = schema_for(document, method, path, where, name)
    assert allows(document, schema, instance_of(path, where, name, value)), schema
