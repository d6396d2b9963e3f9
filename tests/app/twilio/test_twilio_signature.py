"""Backline's signature check agrees with twilio's RequestValidator: ports, SHA-256 too."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator, get_signature_algorithm
from werkzeug.datastructures import MultiDict

from app.twilio.signature import SETTINGS_HEADER, signature, signed_urls, signing_algorithm
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

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


SHARED_KEY = "test-shared-key-secret"
SHARED_KEY_HEADERS = {SETTINGS_HEADER: "key=webhooks_sharedkey_0123,algorithm=HMAC_SHA256"}


@given(forms)
def test_sha256_signatures_match_twilios_for_any_form(pairs: list[tuple[str, str]]) -> None:
    form = MultiDict(pairs)
    url = "https://backline.example.test/ivr/voice?visit=1"

    theirs = RequestValidator(TOKEN).compute_signature(url, form, algorithm="HMAC_SHA256")
    assert signature(TOKEN, url, form, "HMAC_SHA256") == theirs


@pytest.mark.parametrize(
    "header",
    [
        "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
        "algorithm=HMAC_SHA1,key=k",
        " key=k , algorithm = hmac_sha256 ",
        "key=k",
        "algorithm=",
        "HMAC_MD5",
    ],
)
def test_the_algorithm_is_read_from_the_header_as_twilios_validator_reads_it(header: str) -> None:
    assert signing_algorithm(header) == get_signature_algorithm(header).upper()


def _signed_with_shared_key(params: dict[str, str], algorithm: str) -> str:
    url = PUBLIC_URL + "/ivr/voice"
    return str(RequestValidator(SHARED_KEY).compute_signature(url, params, algorithm=algorithm))


@pytest.mark.parametrize("algorithm", ["HMAC_SHA256", "HMAC_SHA1"])
def test_a_webhook_signed_with_the_shared_key_is_accepted(
    twilio: Any, app: Flask, algorithm: str
) -> None:
    app.config["TWILIO_WEBHOOK_SHARED_KEY"] = SHARED_KEY
    params = twilio.call_params("+14155550100")
    headers = {SETTINGS_HEADER: f"key=webhooks_sharedkey_0123,algorithm={algorithm}"}

    signed = _signed_with_shared_key(params, algorithm)
    response = twilio.post("/ivr/voice", params, headers=headers, signature=signed)

    assert response.status_code == 200


def test_a_tampered_sha256_webhook_is_refused(twilio: Any, app: Flask) -> None:
    app.config["TWILIO_WEBHOOK_SHARED_KEY"] = SHARED_KEY
    params = twilio.call_params("+14155550100")
    signed = _signed_with_shared_key(params, "HMAC_SHA256")

    tampered = {**params, "From": "+12125550199"}
    response = twilio.post("/ivr/voice", tampered, headers=SHARED_KEY_HEADERS, signature=signed)

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("shared_key", "settings_header", "secret", "algorithm"),
    [
        (None, SHARED_KEY_HEADERS[SETTINGS_HEADER], AUTH_TOKEN, "HMAC_SHA256"),  # no key set
        (SHARED_KEY, SHARED_KEY_HEADERS[SETTINGS_HEADER], AUTH_TOKEN, "HMAC_SHA256"),  # the token
        (SHARED_KEY, "key=k,algorithm=HMAC_SHA256", SHARED_KEY, "HMAC_SHA1"),  # not the named one
        (SHARED_KEY, None, SHARED_KEY, "HMAC_SHA1"),  # the key, without saying so
    ],
)
def test_a_signature_with_the_wrong_secret_or_algorithm_is_refused(
    twilio: Any,
    app: Flask,
    shared_key: str | None,
    settings_header: str | None,
    secret: str,
    algorithm: str,
) -> None:
    app.config["TWILIO_WEBHOOK_SHARED_KEY"] = shared_key
    params = twilio.call_params("+14155550100")
    url = PUBLIC_URL + "/ivr/voice"
    signed = RequestValidator(secret).compute_signature(url, params, algorithm=algorithm)
    headers = {SETTINGS_HEADER: settings_header} if settings_header else {}

    response = twilio.post("/ivr/voice", params, headers=headers, signature=signed)

    assert response.status_code == 403


def test_an_algorithm_twilio_may_add_later_is_refused(twilio: Any, app: Flask) -> None:
    app.config["TWILIO_WEBHOOK_SHARED_KEY"] = SHARED_KEY
    params = twilio.call_params("+14155550100")
    signed = _signed_with_shared_key(params, "HMAC_SHA256")
    headers = {SETTINGS_HEADER: "key=k,algorithm=HMAC_SHA512"}

    response = twilio.post("/ivr/voice", params, headers=headers, signature=signed)

    assert response.status_code == 403
