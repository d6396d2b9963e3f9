"""The Twilio REST stand-in's numbers and the URLs `backline twilio configure` should set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

from app.twilio.simulator.media_server import MediaServer
from app.twilio.simulator.rest_api import add_number
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

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
