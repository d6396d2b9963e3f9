"""`backline twilio configure` failing: every refusal is a clear sentence, never the token."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.core.config import DEV_AUTH_TOKEN
from app.twilio.rest import TwilioApiError, VoiceWebhooks, twilio_rest
from app.twilio.simulator.media_server import MediaServer
from tests.app.twilio.twilio_configure_helpers import (
    FALLBACK_URL,
    STATUS_URL,
    VOICE_URL,
    AddNumber,
    assert_failed,
    posts,
)
from tests.app.twilio.twilio_configure_helpers import (
    numbers as numbers,  # a fixture: pytest finds it here
)
from tests.conftest import ACCOUNT_SID, Invoke
from tests.helpers import free_port


def test_an_unknown_number_is_a_clear_error(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    numbers("+14155550100")

    result = cli("twilio", "configure", "+14155550199")

    assert_failed(result, 1, f"+14155550199 is not a number on Twilio account {ACCOUNT_SID}")
    assert posts(media) == []


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["not-a-number"], "is not a phone number"),
        (["+1415555"], "is not a valid phone number"),
        ([], "Give the NUMBER to configure, or --all"),
        (["+14155550100", "--all"], "Give a NUMBER or --all, not both"),
    ],
)
def test_usage_errors(
    cli: Invoke, numbers: AddNumber, media: MediaServer, args: list[str], phrase: str
) -> None:
    numbers("+14155550100")

    result = cli("twilio", "configure", *args)

    assert_failed(result, 2, phrase)
    assert media.state.requests == []


@pytest.mark.parametrize("target", ["+14155550100", "--all"])
def test_wrong_credentials_name_http_401_and_never_the_token(
    cli: Invoke, numbers: AddNumber, media: MediaServer, app: Flask, target: str
) -> None:
    app.config["TWILIO_AUTH_TOKEN"] = "wrong-token-0123456789"
    numbers("+14155550100")

    result = cli("twilio", "configure", target)

    assert_failed(result, 1, "HTTP 401", "Authenticate", "TWILIO_AUTH_TOKEN")
    assert "wrong-token-0123456789" not in result.output
    assert posts(media) == []


@pytest.mark.parametrize("target", ["+14155550100", "--all"])
def test_an_unreachable_api_is_a_clear_error(cli: Invoke, app: Flask, target: str) -> None:
    closed = f"127.0.0.1:{free_port()}"
    app.config["TWILIO_API_URL"] = f"http://{closed}"

    result = cli("twilio", "configure", target)

    assert_failed(result, 1, f"Could not reach the Twilio API at {closed}", "TWILIO_API_URL")


def test_all_reports_a_failing_number_and_configures_the_others(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    first, released, last = (numbers(f"+1415555010{i}") for i in range(3))
    gone = "PN" + "0" * 32  # listed, then released before the update: Twilio answers 404
    media.state.numbers[released]["sid"] = gone

    result = cli("twilio", "configure", "--all")

    assert_failed(result, 1, f"+14155550101 {gone} failed: Twilio answered HTTP 404", "1 of 3")
    assert f"+14155550100 {first} configured" in result.stdout
    assert f"+14155550102 {last} configured" in result.stdout
    assert "2 of 3 numbers configured, 1 failed." in result.stdout
    assert media.state.numbers[first]["voice_url"] == VOICE_URL
    assert media.state.numbers[last]["voice_url"] == VOICE_URL
    assert len(posts(media)) == 3


def test_the_development_secret_is_not_a_twilio_account(
    cli: Invoke, app: Flask, media: MediaServer
) -> None:
    app.config["TWILIO_AUTH_TOKEN"] = DEV_AUTH_TOKEN

    result = cli("twilio", "configure", "--all")

    assert_failed(result, 1, "TWILIO_AUTH_TOKEN is not set")
    assert DEV_AUTH_TOKEN not in result.output
    assert media.state.requests == []


def test_a_fallback_url_that_is_not_a_url_is_refused(
    cli: Invoke, app: Flask, media: MediaServer
) -> None:
    app.config["BACKLINE_FALLBACK_URL"] = "backup-region/ivr/fallback"

    result = cli("twilio", "configure", "+14155550100")

    assert_failed(result, 1, "BACKLINE_FALLBACK_URL must be an absolute http(s) URL")
    assert media.state.requests == []


@pytest.mark.parametrize("query", ["source=trunk", "a=1&source=trunk"])
def test_a_fallback_url_marked_as_a_trunks_is_refused(
    cli: Invoke, app: Flask, media: MediaServer, query: str
) -> None:
    app.config["BACKLINE_FALLBACK_URL"] = f"https://backline-eu.example.net/ivr/fallback?{query}"

    result = cli("twilio", "configure", "+14155550100")

    assert_failed(result, 1, "BACKLINE_FALLBACK_URL must not carry source=trunk")
    assert media.state.requests == []


def test_the_stand_in_answers_404_json_for_an_unknown_sid(app: Flask, numbers: AddNumber) -> None:
    unknown = "PN" + "9" * 32
    webhooks = VoiceWebhooks(VOICE_URL, FALLBACK_URL, STATUS_URL)

    with twilio_rest(app.config) as api, pytest.raises(TwilioApiError) as caught:
        api.update_number(unknown, webhooks)

    assert re.search(
        rf"HTTP 404 to POST \S+/{unknown}\.json: The requested resource", str(caught.value)
    )
