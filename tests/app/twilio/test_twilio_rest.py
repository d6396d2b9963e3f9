"""twilio's Client, as Backline configures it: TWILIO_API_URL only, quietly, with its own errors."""

from __future__ import annotations

import logging

import pytest

from app.twilio.rest import TwilioApiError, TwilioRest
from app.twilio.simulator.media_server import MediaServer
from app.twilio.simulator.rest_api import add_number
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.helpers import free_port

NUMBER = "+14155550100"


@pytest.fixture
def api(media: MediaServer) -> TwilioRest:
    media.state.numbers.clear()
    media.state.requests.clear()
    add_number(media.state, NUMBER)
    return TwilioRest(media.url, ACCOUNT_SID, AUTH_TOKEN)


def test_twilio_edge_and_region_in_the_environment_do_not_move_the_calls(
    api: TwilioRest, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_REGION", "ie1")

    with TwilioRest(media.url, ACCOUNT_SID, AUTH_TOKEN) as moved:
        found = moved.find_number(NUMBER)

    assert found is not None and found.phone_number == NUMBER
    assert media.state.requests[-1]["host"] == f"127.0.0.1:{media.port}"


def test_an_ambient_proxy_never_sees_the_credentials(
    api: TwilioRest, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    closed = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, closed)

    with api:
        assert [n.phone_number for n in api.all_numbers()] == [NUMBER]


def test_the_library_logs_no_request_and_no_number(
    api: TwilioRest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with api:
        api.find_number(NUMBER)
        api.send_message(NUMBER, "hello", sender="+15005550006")

    assert not [r for r in caplog.records if r.name.startswith(("twilio", "app.twilio"))]
    assert NUMBER not in caplog.text


def test_a_refused_message_carries_twilios_code_and_status(
    api: TwilioRest, media: MediaServer
) -> None:
    media.state.sms.refusals[NUMBER] = 21610
    try:
        with api, pytest.raises(TwilioApiError) as caught:
            api.send_message(NUMBER, "hello", sender="+15005550006")
    finally:
        media.state.sms.reset()

    assert (caught.value.status, caught.value.code) == (400, 21610)
    assert "HTTP 400 to POST" in str(caught.value)
    assert "Attempt to send to unsubscribed recipient." in str(caught.value)


def test_an_unknown_call_is_none_and_a_known_one_has_its_numbers(
    api: TwilioRest, media: MediaServer
) -> None:
    known = "CA" + "1" * 32
    media.state.calls[known] = {
        "to": NUMBER,
        "from": "+12125550142",
        "start_time": "Tue, 10 Aug 2010 08:02:17 +0000",
    }

    with api:
        unknown = api.call("CA" + "2" * 32)
        call = api.call(known)
    del media.state.calls[known]

    assert unknown is None
    assert call is not None and (call.to, call.caller) == (NUMBER, "+12125550142")
    assert (
        call.start_time is not None and call.start_time.isoformat() == "2010-08-10T08:02:17+00:00"
    )
