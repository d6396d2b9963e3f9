"""POST /api/v1/alerts/alertmanager: OpenAPI conformance, bad bodies refused, a token required."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.models import AlertRecord, Outage, OutageEvent, Subscriber
from tests.app.api.alertmanager_helpers import PATH, alert, count, payload
from tests.app.api.conftest import PREFIX, Api, assert_error
from tests.app.api.test_openapi import conforms


def test_the_answer_and_a_real_payload_match_the_openapi_document(
    client: FlaskClient, api: Api
) -> None:
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    body = payload(alert(), alert(fingerprint="bbbb", labels={}))

    conforms(document, "AlertmanagerWebhook", body)
    conforms(document, "AlertOutcomes", api.post(PATH, json=body).get_json())


def bad(**changes: Any) -> dict[str, Any]:
    """A body with one alert, changed or with fields removed (a value of ...)."""
    one = alert()
    for name, value in changes.items():
        if value is ...:
            del one[name]
        else:
            one[name] = value
    return payload(one)


BAD_BODIES = [
    ({**payload(alert()), "version": "3"}, 422, "version", 'expected "4"'),
    ({k: v for k, v in payload(alert()).items() if k != "version"}, 422, "version", "nothing"),
    ({**payload(alert()), "alerts": {"a": 1}}, 422, "alerts", "array of alerts"),
    ({**payload(alert()), "alerts": None}, 422, "alerts", "array of alerts"),
    ({**payload(alert()), "receiver": 7}, 422, "receiver", "expected a string"),
    ({**payload(alert()), "alerts": ["firing"]}, 422, "alerts[0]", "expected an alert object"),
    (bad(fingerprint=...), 422, "alerts[0].fingerprint", "is required"),
    (bad(fingerprint="  "), 422, "alerts[0].fingerprint", "1 to 64 characters"),
    (bad(fingerprint="f" * 65), 422, "alerts[0].fingerprint", "1 to 64 characters"),
    (bad(fingerprint=12), 422, "alerts[0].fingerprint", "expected a string"),
    (bad(startsAt=...), 422, "alerts[0].startsAt", "is required"),
    (bad(startsAt="yesterday"), 422, "alerts[0].startsAt", "not an RFC 3339 time"),
    (bad(startsAt="2026-11-22T10:00:00"), 422, "alerts[0].startsAt", "with an offset"),
    (bad(startsAt=1764000000), 422, "alerts[0].startsAt", "as a string"),
    (bad(startsAt="2026-02-30T10:00:00Z"), 422, "alerts[0].startsAt", "not an RFC 3339 time"),
    (bad(status="pending"), 422, "alerts[0].status", '"firing" or "resolved"'),
    (bad(status=...), 422, "alerts[0].status", "got nothing"),
    (bad(labels=["region"]), 422, "alerts[0].labels", "expected an object of strings"),
    (bad(labels={"region": 5}), 422, "alerts[0].labels.region", "expected a string"),
    (bad(labels={"region": "us\x00west"}), 422, "alerts[0].labels.region", "NUL"),
    (bad(annotations={"summary": "\ud800"}), 422, "alerts[0].annotations.summary", "surrogate"),
]


@pytest.mark.parametrize(("body", "status", "field", "phrase"), BAD_BODIES)
def test_bad_payloads_are_refused_with_a_sentence_naming_the_field(
    api: Api, body: Any, status: int, field: str, phrase: str
) -> None:
    error = assert_error(api.post(PATH, json=body), status, phrase)

    assert error["field"] == field
    assert (count(Outage), count(AlertRecord)) == (0, 0)


@pytest.mark.parametrize(
    ("data", "phrase"),
    [("{not json", "not valid JSON"), ('["an", "array"]', "must be a JSON object, not an array"),
     ("", "not valid JSON"), ('{"a": ' * 100_000, "not valid JSON")],
    ids=["malformed", "array", "empty", "deep"],
)  # fmt: skip
def test_a_body_that_is_not_a_json_object_is_400(api: Api, data: str, phrase: str) -> None:
    response = api.post(PATH, data=data, content_type="application/json")

    assert_error(response, 400, phrase)


def test_a_body_over_a_mebibyte_is_413(api: Api) -> None:
    response = api.post(PATH, data="x" * (1024 * 1024 + 1), content_type="application/json")

    assert_error(response, 413, "1024 KiB")


def test_a_bad_alert_after_a_good_one_writes_nothing(api: Api) -> None:
    body = payload(alert(fingerprint="good"), {**alert(fingerprint="bad"), "startsAt": "soon"})

    assert_error(api.post(PATH, json=body), 422, "alerts[1].startsAt")

    assert (count(Outage), count(OutageEvent), count(AlertRecord)) == (0, 0, 0)


@pytest.mark.parametrize("header", [None, "Bearer not-a-token"], ids=["none", "unknown"])
def test_without_a_valid_token_it_is_401_and_nothing_starts(
    client: FlaskClient, subscribers: None, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}

    response = client.post(PREFIX + PATH, json=payload(alert()), headers=headers)

    assert_error(response, 401, "API token")
    assert count(Outage) == 0
    assert count(Subscriber) == 4
