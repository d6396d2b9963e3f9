"""Backline's own signature check agrees with twilio's RequestValidator, ports included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app.twilio.signature import signature, signed_urls

TOKEN = "test-auth-token"
names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
forms = st.lists(st.tuples(names, values), max_size=12)


@given(forms)
def test_signatures_match_twilios_for_any_form(pairs: list[tuple[str, str]]) -> None:
    form = MultiDict(pairs)
    url = "https://backline.example.test/ivr/voice?visit=1"

    assert signature(TOKEN, url, form) == RequestValidator(TOKEN).compute_signature(url, form)


def test_repeated_values_are_signed_once_each_in_order() -> None:
    form = MultiDict([("To", "b"), ("To", "a"), ("To", "b"), ("From", "x")])
    url = "https://backline.example.test/ivr/voice"

    assert signature(TOKEN, url, form) == RequestValidator(TOKEN).compute_signature(url, form)


@pytest.mark.parametrize(
    ("configured", "variants"),
    [
        ("https://b.example/ivr/voice", ["https://b.example:443/ivr/voice"]),
        ("http://b.example/ivr/voice", ["http://b.example:80/ivr/voice"]),
        ("https://b.example:443/ivr/voice", ["https://b.example/ivr/voice"]),
        ("https://b.example:8443/ivr/voice", ["https://b.example/ivr/voice"]),
        ("https://b.example/ivr/menu?visit=0", ["https://b.example:443/ivr/menu?visit=0"]),
    ],
)
def test_the_port_variant_is_tried_as_twilios_validator_does(
    configured: str, variants: list[str]
) -> None:
    assert list(signed_urls(configured)) == [configured, *variants]


@pytest.mark.parametrize(
    "signed_url", ["https://b.example:443/ivr/voice", "https://b.example/ivr/voice"]
)
def test_a_request_signed_with_or_without_the_default_port_is_accepted(
    twilio: Any, settings: dict[str, Any], signed_url: str, make_app: Any
) -> None:
    app = make_app(BACKLINE_PUBLIC_URL="https://b.example")
    params = twilio.call_params("+14155550100")
    signed = RequestValidator(settings["TWILIO_AUTH_TOKEN"]).compute_signature(signed_url, params)

    response = app.test_client().post(
        "/ivr/voice", data=params, headers={"X-Twilio-Signature": signed}
    )

    assert response.status_code == 200
