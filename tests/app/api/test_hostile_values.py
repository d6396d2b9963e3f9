"""Every field of every JSON body, given every kind of wrong value, is a 4xx and never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.api.conftest import Api

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**40,
    "",
    " ",
    "\x00",
    "\ud800",
    "x" * 5000,
    [],
    [None],
    [["deep"]],
    {},
    {"a": {"b": "c"}},
    "2001-01-01T00:00:00",
    "+1",
    "es",
]

BODIES = {
    ("POST", "/outages"): (
        {"message": "Down.", "scope": "all"},
        ["message", "caller_message", "subscriber_message", "caller_messages",
         "subscriber_messages", "etr", "scope", "force", "dry_run"],
    ),
    ("POST", "/subscribers"): (
        {"number": "+14155550100", "emails": ["a@x.example"]},
        ["number", "emails", "name", "plan", "region", "backup_number", "timezone", "language"],
    ),
    ("PATCH", "/outages/{outage}"): ({}, ["message", "etr", "state", "caller_messages"]),
    ("PATCH", "/subscribers/{subscriber}"): (
        {}, ["number", "emails", "name", "backup_number", "timezone", "language"]
    ),
    ("POST", "/deliveries/1/retry"): ({}, ["to"]),
}  # fmt: skip
SCOPE_KEYS = ["regions", "numbers", "plans"]


@pytest.mark.parametrize(("method", "path"), list(BODIES))
def test_no_value_in_any_field_is_a_server_error(
    api: Api, outage: Any, subscriber: Any, method: str, path: str
) -> None:
    base, names = BODIES[(method, path)]
    concrete = path.format(outage=outage().id, subscriber=subscriber(number="+33142685300").id)
    cases = [{**base, name: value} for name in names for value in HOSTILE]
    cases += [{**base, "scope": {key: value}} for key in SCOPE_KEYS for value in HOSTILE]
    cases += [{**base, "scope": {key: [value]}} for key in SCOPE_KEYS for value in HOSTILE]
    if path == "/outages":
        cases += [{**base, "caller_messages": {"es": value}} for value in HOSTILE]

    for body in cases:
        response = api.request(method, concrete, json=body)
        assert response.status_code < 500, (body, response.status_code, response.text)
        assert response.is_json, (body, response.text)
        if response.status_code >= 400:
            assert response.get_json()["error"], body
