"""`backline twilio configure NUMBER|--all`: the webhooks it sets on the local Twilio stand-in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from app.twilio.simulator.media_server import MediaServer
from tests.app.twilio.twilio_configure_helpers import (
    EXPECTED_FORM,
    FALLBACK_URL,
    SAME_HOST_WARNING,
    STATUS_URL,
    VOICE_URL,
    AddNumber,
    assert_failed,
    gets,
    posts,
)
from tests.app.twilio.twilio_configure_helpers import (
    numbers as numbers,  # a fixture: pytest finds it here
)
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, Invoke


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

    advice = f"Disaster Recovery URL to {FALLBACK_URL}?source=trunk instead"
    assert_failed(single, 1, f"SIP trunk {trunk}", advice)
    assert every.exit_code == 0, every.output
    assert f"+14155550100 {on_trunk} skipped" in every.stderr
    assert advice in every.stderr
    assert "1 of 2 numbers configured, 1 skipped." in every.stdout
    assert media.state.numbers[on_trunk]["voice_url"] is None
    assert media.state.numbers[plain]["voice_url"] == VOICE_URL
