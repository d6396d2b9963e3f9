"""The OpenAPI document allows no body that the body limit then refuses, and declares 429.

Each request schema's largest instance is computed from its bounds (tests/app/api/openapi_bounds.py):
an unbounded string or array fails here, before a client meets a 413 the document never warned of.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.api.payload import JSON_LIMIT
from app.security.limits import UNLIMITED_API_ENDPOINTS
from app.subscribers.csv_files import CSV_LIMIT
from tests.app.api.conftest import PREFIX, Api
from tests.app.api.openapi_bounds import largest

# Alertmanager's webhook takes whatever Alertmanager sends (it adds fields over time); its own
# 1 MiB limit is in its description.
UNBOUNDED_ON_PURPOSE = {("/alerts/alertmanager", "post")}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    return dict(client.get(f"{PREFIX}/openapi.json").get_json())


def request_bodies(document: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    return [
        (path, method, media, content["schema"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and "requestBody" in operation
        for media, content in operation["requestBody"]["content"].items()
    ]


def test_every_body_the_document_allows_fits_under_the_body_limit(
    document: dict[str, Any],
) -> None:
    checked = 0
    for path, method, media, schema in request_bodies(document):
        if (path, method) in UNBOUNDED_ON_PURPOSE:
            continue
        if media == "text/csv":
            worst = 4 * schema["maxLength"]  # raw UTF-8: at most 4 bytes a character
            assert worst < CSV_LIMIT, (path, method, worst)
        else:
            worst = largest(schema, document)
            assert worst < JSON_LIMIT, (path, method, "unbounded" if math.isinf(worst) else worst)
        checked += 1
    assert checked == 7


def test_a_whole_report_escaped_character_by_character_is_accepted(api: Api, outage: Any) -> None:
    """20,000 characters (the limit), each sent as a 12-byte escape: 240 kB of JSON."""
    row = outage()
    assert api.post(f"/outages/{row.id}/resolve").status_code == 200
    report = "\U0001f4de" * 20_000
    body = json.dumps({"report": report})  # ensure_ascii: every character escaped
    assert len(body) > 64 * 1024

    response = api.request(
        "PUT", f"/outages/{row.id}/report", data=body, content_type="application/json"
    )

    assert response.status_code == 200, response.text[:300]
    assert response.get_json()["report"] == report


def test_every_rate_limited_operation_declares_429_and_the_unlimited_one_does_not(
    document: dict[str, Any],
) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            unlimited = path == "/alerts/alertmanager"  # api.alertmanager_webhook
            assert ("429" not in operation["responses"]) is unlimited, (path, method)
    assert {"api.alertmanager_webhook"} == UNLIMITED_API_ENDPOINTS
    retry_after = document["components"]["responses"]["429"]["headers"]["Retry-After"]
    assert retry_after["schema"]["type"] == "integer"
