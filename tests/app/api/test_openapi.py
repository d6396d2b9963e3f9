"""The OpenAPI document is valid OpenAPI 3.1 and describes exactly the routes the app has."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from app.models import DeliveryState
from tests.app.api.conftest import PREFIX
from tests.app.api.test_voicemails_and_deliveries import delivery
from tests.conftest import PUBLIC_URL


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first problem it finds

    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": f"{PUBLIC_URL}/api/v1"}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_route_is_documented_and_every_documented_route_exists(
    app: Flask, document: dict[str, Any]
) -> None:
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            served |= {(path, m.lower()) for m in methods}
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }

    assert served == documented


def test_every_operation_but_the_document_needs_the_bearer_token_and_documents_401(
    document: dict[str, Any],
) -> None:
    assert document["security"] == [{"bearerAuth": []}]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if path == "/openapi.json":
                assert operation["security"] == []
            else:
                assert "401" in operation["responses"], (path, method)
                assert "security" not in operation, (path, method)


def test_error_responses_use_the_error_schema(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    for code in ("400", "401", "404", "409", "413", "415", "422"):
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]


def conforms(document: dict[str, Any], schema: str, instance: Any) -> None:
    """Validate `instance` against components/schemas/`schema` of the document."""
    from jsonschema import Draft202012Validator

    root = {**document, "$ref": f"#/components/schemas/{schema}"}
    errors = [e.message for e in Draft202012Validator(root).iter_errors(instance)]
    assert errors == [], (schema, errors)


def test_real_answers_match_their_schemas(
    api: Any, document: dict[str, Any], subscriber: Any
) -> None:
    subscriber(number="+14155550100", region="us-west")
    sent = delivery(DeliveryState.FAILED)
    created = api.post(
        "/outages", json={"message": "Down.", "caller_messages": {"es": "Caído."}, "scope": "all"}
    ).get_json()
    api.patch(f"/outages/{created['id']}", json={"state": "identified"})

    conforms(document, "Outage", api.get(f"/outages/{created['id']}").get_json())
    conforms(document, "OutagePage", api.get("/outages?all=1").get_json())
    conforms(document, "SubscriberPage", api.get("/subscribers").get_json())
    conforms(document, "VoicemailPage", api.get("/voicemails").get_json())
    conforms(document, "DeliveryPage", api.get("/deliveries").get_json())
    conforms(document, "Voicemail", api.get(f"/voicemails/{sent.voicemail_id}").get_json())
    conforms(document, "Delivery", api.post(f"/deliveries/{sent.id}/retry").get_json())
    conforms(document, "Error", api.post("/outages", json={"etr": "soon"}).get_json())
    conforms(
        document,
        "Error",
        api.post("/subscribers/import", data="numero\n", content_type="text/csv").get_json(),
    )
