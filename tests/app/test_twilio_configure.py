"""`backline twilio configure NUMBER|--all`, against the local Twilio REST stand-in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import Result
from flask import Flask

from app.config import DEV_AUTH_TOKEN
from app.simulator.media_server import MediaServer
from app.simulator.rest_api import add_number
from app.twilio_rest import TwilioApiError, VoiceWebhooks, twilio_rest
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, Invoke
from tests.helpers import free_port

AddNumber = Callable[..., str]

VOICE_URL = f"{PUBLIC_URL}/ivr/voice#ct=1000&rt=2000"
FALLBACK_URL = f"{PUBLIC_URL}/ivr/fallback"
STATUS_URL = f"{PUBLIC_URL}/ivr/call-status"
EXPECTED_FORM = {
    "VoiceUrl": VOICE_URL,
    "VoiceMethod": "POST",
    "VoiceFallbackUrl": FALLBACK_URL,
    "VoiceFallbackMethod": "POST",
    "StatusCallback": STATUS_URL,
    "StatusCallbackMethod": "POST",
}
SAME_HOST_WARNING = "both URLs are on backline.example.test"


@pytest.fixture
def numbers(media: MediaServer) -> AddNumber:
    """Factory: numbers("+14155550100", **fields) puts a number on the stand-in's account."""
    media.state.numbers.clear()  # the `app` fixture does not reset them

    def add(phone_number: str, **fields: Any) -> str:
        return add_number(media.state, phone_number, **fields)

    return add


def posts(media: MediaServer) -> list[dict[str, Any]]:
    return [r for r in media.state.requests if r["method"] == "POST"]


def gets(media: MediaServer) -> list[dict[str, Any]]:
    return [r for r in media.state.requests if r["method"] == "GET"]


def assert_failed(result: Result, status: int, *phrases: str) -> None:
    assert result.exit_code == status, result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert AUTH_TOKEN not in result.output


def test_one_number_gets_the_voice_fallback_and_status_urls(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    sid = numbers("+14155550100")
    other = numbers("+14155550101")

    result = cli("twilio", "configure", "+1 (415) 555-0100")

    assert result.exit_code == 0, result.output
    assert f"+14155550100 {sid} configured" in result.stdout.splitlines()
    configured = media.state.numbers[sid]
    assert configured["voice_url"] == VOICE_URL
    assert configured["voice_method"] == "POST"
    assert configured["voice_fallback_url"] == FALLBACK_URL
    assert configured["voice_fallback_method"] == "POST"
    assert configured["status_callback"] == STATUS_URL
    assert configured["status_callback_method"] == "POST"
    assert media.state.numbers[other]["voice_url"] is None
    [lookup] = gets(media)
    assert parse_qs(urlsplit(lookup["path"]).query)["PhoneNumber"] == ["+14155550100"]
    [update] = posts(media)
    assert update["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"
    assert update["form"] == EXPECTED_FORM
    assert AUTH_TOKEN not in result.output


@pytest.mark.parametrize("overrides", ["", "off", "none"])
def test_the_voice_url_has_no_fragment_without_connection_overrides(
    cli: Invoke, numbers: AddNumber, media: MediaServer, app: Flask, overrides: str
) -> None:
    app.config["BACKLINE_CONNECT_OVERRIDES"] = overrides
    sid = numbers("+14155550100")

    result = cli("twilio", "configure", "+14155550100")

    assert result.exit_code == 0, result.output
    assert media.state.numbers[sid]["voice_url"] == f"{PUBLIC_URL}/ivr/voice"


def test_all_pages_through_every_number_and_configures_each(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    sids = {numbers(f"+1415555{i:04d}"): f"+1415555{i:04d}" for i in range(120)}

    result = cli("twilio", "configure", "--all")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for sid, phone in sids.items():
        assert f"{phone} {sid} configured" in lines
        assert media.state.numbers[sid]["voice_url"] == VOICE_URL
        assert media.state.numbers[sid]["voice_fallback_url"] == FALLBACK_URL
    assert lines[-1] == "120 of 120 numbers configured."
    pages = [parse_qs(urlsplit(r["path"]).query).get("Page", ["0"]) for r in gets(media)]
    assert pages == [["0"], ["1"], ["2"]]
    assert len(posts(media)) == 120
    assert all(r["form"] == EXPECTED_FORM for r in posts(media))


@pytest.mark.parametrize(
    ("fallback_setting", "stored_fallback", "warned"),
    [
        (None, FALLBACK_URL, True),
        ("https://BACKLINE.example.test:8443/dr/ivr/fallback", None, True),
        ("https://backline-eu.example.net/ivr/fallback", None, False),
        ("https://handler.twilio.com/twiml/EH0123", None, False),
    ],
)
def test_warns_when_the_fallback_url_shares_the_voice_urls_host(
    cli: Invoke,
    numbers: AddNumber,
    media: MediaServer,
    app: Flask,
    fallback_setting: str | None,
    stored_fallback: str | None,
    warned: bool,
) -> None:
    app.config["BACKLINE_FALLBACK_URL"] = fallback_setting
    sid = numbers("+14155550100")

    result = cli("twilio", "configure", "+14155550100")

    assert result.exit_code == 0, result.output
    assert media.state.numbers[sid]["voice_fallback_url"] == (stored_fallback or fallback_setting)
    assert (SAME_HOST_WARNING in result.stderr) is warned, result.stderr
    if warned:
        assert "point BACKLINE_FALLBACK_URL at a second deployment" in result.stderr


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


@pytest.mark.parametrize("target", ["+14155550100", "--all"])
def test_dry_run_reads_but_changes_nothing(
    cli: Invoke, numbers: AddNumber, media: MediaServer, target: str
) -> None:
    sid = numbers("+14155550100", voice_url="https://old.example/voice")

    result = cli("twilio", "configure", target, "--dry-run")

    assert result.exit_code == 0, result.output
    assert f"+14155550100 {sid} would be configured" in result.stdout
    assert VOICE_URL in result.stdout and FALLBACK_URL in result.stdout
    assert STATUS_URL in result.stdout
    assert gets(media), "a dry run still looks the number up"
    assert posts(media) == []
    assert media.state.numbers[sid]["voice_url"] == "https://old.example/voice"


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


def test_a_twiml_app_is_detached_so_the_voice_url_is_used(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    app_sid = "AP" + "1" * 32
    sid = numbers("+14155550100", voice_application_sid=app_sid)

    result = cli("twilio", "configure", "+14155550100")

    assert result.exit_code == 0, result.output
    assert f"TwiML App {app_sid} detached" in result.stdout
    assert media.state.numbers[sid]["voice_application_sid"] is None
    assert posts(media)[0]["form"] == {**EXPECTED_FORM, "VoiceApplicationSid": ""}


def test_numbers_on_a_sip_trunk_are_left_alone(
    cli: Invoke, numbers: AddNumber, media: MediaServer
) -> None:
    trunk = "TK" + "2" * 32
    on_trunk = numbers("+14155550100", trunk_sid=trunk)
    plain = numbers("+14155550101")

    single = cli("twilio", "configure", "+14155550100")
    every = cli("twilio", "configure", "--all")

    assert_failed(single, 1, f"SIP trunk {trunk}", f"Disaster Recovery URL to {FALLBACK_URL}")
    assert every.exit_code == 0, every.output
    assert f"+14155550100 {on_trunk} skipped" in every.stderr
    assert "1 of 2 numbers configured, 1 skipped." in every.stdout
    assert media.state.numbers[on_trunk]["voice_url"] is None
    assert media.state.numbers[plain]["voice_url"] == VOICE_URL


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


def test_the_stand_in_answers_404_json_for_an_unknown_sid(app: Flask, numbers: AddNumber) -> None:
    unknown = "PN" + "9" * 32
    webhooks = VoiceWebhooks(VOICE_URL, FALLBACK_URL, STATUS_URL)

    with twilio_rest(app.config) as api, pytest.raises(TwilioApiError) as caught:
        api.update_number(unknown, webhooks)

    assert re.search(
        rf"HTTP 404 to POST \S+/{unknown}\.json: The requested resource", str(caught.value)
    )
