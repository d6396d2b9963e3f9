"""Only Twilio gets in, and nothing Twilio's callers send makes Backline fetch from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from app import create_app
from app.core.extensions import db
from app.models import Voicemail, VoicemailStatus
from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import MediaServer, MediaState, Recording
from tests.conftest import ACCOUNT_SID, ADMIN_EMAIL, AUTH_TOKEN, PUBLIC_URL, SmtpSink
from tests.helpers import wait_until
from tests.twiml import parse

WEBHOOKS = [
    "/ivr/voice",
    "/ivr/fallback",
    "/ivr/dial-result",
    "/ivr/menu",
    "/ivr/record",
    "/ivr/after-record",
    "/ivr/call-status",
    "/voicemail/recording-status",
    "/voicemail/transcription",
    "/ivr/backup-result",
    "/ivr/screen",
    "/ivr/screen-result",
    "/forwarding/sms-status",
]


def _params(twilio: Any) -> dict[str, str]:
    call = twilio.call_params("+14155550100")
    return {**twilio.recording_params(call, "RE" + "1" * 32), **call, "DialCallStatus": "busy"}


@pytest.mark.parametrize("path", WEBHOOKS)
def test_unsigned_requests_get_403(client: Any, twilio: Any, path: str) -> None:
    response = client.post(path, data=_params(twilio))
    assert response.status_code == 403
    assert "signed by Twilio" in response.json["error"]


@pytest.mark.parametrize("path", WEBHOOKS)
def test_tampered_parameters_get_403(twilio: Any, path: str) -> None:
    params = _params(twilio)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    tampered = {**params, "To": "+14155550199"}
    assert twilio.post(path, tampered, signature=signature).status_code == 403


@pytest.mark.parametrize(
    "signed_url",
    [
        "http://backline.example.test/ivr/voice",  # wrong scheme
        "https://evil.example/ivr/voice",  # wrong host
        "https://backline.example.test/prefix/ivr/voice",  # wrong prefix
        "https://backline.example.test/ivr/voice?x=1",  # a query string that was not sent
    ],
)
def test_a_signature_for_another_url_gets_403(twilio: Any, signed_url: str) -> None:
    params = twilio.call_params("+14155550100")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, params)
    assert twilio.post("/ivr/voice", params, signature=signature).status_code == 403


def test_a_signature_from_another_auth_token_gets_403(twilio: Any) -> None:
    params = twilio.call_params("+14155550100")
    signature = RequestValidator("someone-elses-token").compute_signature(
        PUBLIC_URL + "/ivr/voice", params
    )
    assert twilio.post("/ivr/voice", params, signature=signature).status_code == 403


def test_signatures_ignore_the_host_header(twilio: Any, client: Any) -> None:
    params = twilio.call_params("+14155550100")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/ivr/voice", params)
    response = client.post(
        "/ivr/voice",
        data=params,
        headers={"X-Twilio-Signature": signature},
        base_url="http://internal-proxy:8080",
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Proto": "http"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443"},
        {"X-Forwarded-Prefix": "/other", "Forwarded": "proto=http;host=evil.example"},
    ],
)
def test_signatures_ignore_forwarded_headers(twilio: Any, headers: dict[str, str]) -> None:
    params = twilio.call_params("+14155550100")
    assert twilio.post("/ivr/voice", params, headers=headers).status_code == 200

    as_forwarded = "http://evil.example:8443/other/ivr/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(as_forwarded, params)
    assert twilio.post("/ivr/voice", params, headers, signature).status_code == 403


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize("change", ["added", "removed", "repeated"])
def test_a_signature_over_other_parameters_gets_403(twilio: Any, path: str, change: str) -> None:
    signed = _params(twilio)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, signed)
    sent = MultiDict(signed)
    if change == "added":
        sent["Extra"] = "1"
    elif change == "removed":
        del sent["From"]
    else:
        sent.add("To", "+14155550199")  # a second value for a signed field

    assert twilio.post(path, sent, signature=signature).status_code == 403


def test_a_changed_query_string_gets_403(twilio: Any, subscriber: Any, outage: Any) -> None:
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/ivr/menu?visit=0", {**call, "Digits": "3"}
    )
    menu = {**call, "Digits": "3"}

    assert twilio.post("/ivr/menu", menu, signature=signature, query="visit=0").status_code == 200
    assert twilio.post("/ivr/menu", menu, signature=signature, query="visit=2").status_code == 403
    assert twilio.post("/ivr/menu", menu, signature=signature).status_code == 403


PREFIXED = "https://calls.provider.example/backline"


@pytest.fixture
def prefixed(settings: dict[str, Any], app: Flask) -> Iterator[FlaskClient]:
    """Backline behind a proxy that serves it under /backline and strips the prefix."""
    behind = create_app({**settings, "BACKLINE_PUBLIC_URL": PREFIXED})
    with behind.app_context():
        yield behind.test_client()


def _signed_post(
    client: FlaskClient, signed_url: str, params: dict[str, str], **kwargs: Any
) -> TestResponse:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, params)
    headers = {"X-Twilio-Signature": signature, **kwargs.pop("headers", {})}
    return client.post("/ivr/voice", data=params, headers=headers, **kwargs)


@pytest.mark.parametrize(
    ("signed_url", "status"),
    [
        (f"{PREFIXED}/ivr/voice", 200),
        ("https://calls.provider.example/ivr/voice", 403),  # the prefix left out
        ("http://calls.provider.example/backline/ivr/voice", 403),  # http, not https
        ("https://calls.provider.example/other/ivr/voice", 403),  # another prefix
        ("https://calls.provider.example/backline/backline/ivr/voice", 403),
    ],
)
def test_behind_a_proxy_the_signed_url_is_the_public_url_with_its_prefix(
    prefixed: FlaskClient, twilio: Any, signed_url: str, status: int
) -> None:
    params = twilio.call_params("+14155550100")
    forwarded = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "10.0.0.7:8000"}

    response = _signed_post(prefixed, signed_url, params, headers=forwarded)

    assert response.status_code == status


def test_behind_a_proxy_that_passes_the_prefix_as_script_name_signatures_still_verify(
    prefixed: FlaskClient, twilio: Any
) -> None:
    params = twilio.call_params("+14155550100")
    mounted = "http://10.0.0.7:8000/backline"  # what the WSGI server sees

    response = _signed_post(prefixed, f"{PREFIXED}/ivr/voice", params, base_url=mounted)

    assert response.status_code == 200


def test_behind_a_proxy_twiml_urls_come_from_the_public_url(
    prefixed: FlaskClient, twilio: Any, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    params = twilio.call_params("+14155550100")
    forwarded = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}

    root = parse(_signed_post(prefixed, f"{PREFIXED}/ivr/voice", params, headers=forwarded))

    urls = [v for el in root.iter() for k, v in el.attrib.items() if k in ("action", "url")]
    urls += [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("Callback")]
    assert urls and all(url.startswith(f"{PREFIXED}/") for url in urls), urls


@pytest.fixture
def elsewhere() -> Iterator[MediaServer]:
    """A second media server: any request reaching it is a request Backline should not make."""
    state = MediaState(ACCOUNT_SID, AUTH_TOKEN)
    with MediaServer(state) as server:
        yield server


def test_a_recording_url_on_another_host_is_never_fetched(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink, elsewhere: MediaServer, media: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    call = twilio.call_params("+14155550100")
    twilio.post("/ivr/voice", call)
    recording = twilio.add_recording(2)
    elsewhere.state.recordings[recording] = Recording(make_wav(2))
    params = {
        **twilio.recording_params(call, recording, 2),
        "RecordingUrl": f"{elsewhere.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording}",
    }
    assert twilio.post("/voicemail/recording-status", params).status_code == 204
    smtp.wait_for(1)
    assert elsewhere.state.requests == []
    assert [r["path"].rsplit("/", 1)[-1] for r in media.state.requests] == [f"{recording}.wav"]


def _voicemail_status(recording: str) -> tuple[str, str | None] | None:
    db.session.rollback()
    row = db.session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording))
    return (row.status, row.error) if row and row.status != VoicemailStatus.RECEIVED else None


def test_a_redirect_to_a_host_not_allowed_fails_the_voicemail_visibly(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink, elsewhere: MediaServer, media: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    media.state.redirect_to = elsewhere.url  # same IP, another port: not in the allowed list
    recording = twilio.leave_voicemail("+14155550100", seconds=2)
    status, error = wait_until(lambda: _voicemail_status(recording))  # type: ignore[misc]
    assert status == VoicemailStatus.FAILED
    assert "not in BACKLINE_RECORDING_HOSTS" in error
    assert elsewhere.state.requests == []
    [alert] = smtp.wait_for(1)  # no voicemail email; the admins hear about it instead
    assert alert["To"] == ADMIN_EMAIL
    assert alert["Subject"] == "Voicemail for +1 415-555-0100 could not be processed"
    body = alert.get_body(("plain",)).get_content()
    assert "not in BACKLINE_RECORDING_HOSTS" in body and recording in body
    assert AUTH_TOKEN not in body and AUTH_TOKEN not in error


def test_credentials_never_follow_a_redirect_to_another_host(
    twilio: Any, subscriber: Any, outage: Any, smtp: SmtpSink, media: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    media.state.redirect_to = f"http://localhost:{media.port}"  # allowed, but another host
    twilio.leave_voicemail("+14155550100", seconds=2)
    smtp.wait_for(1)
    api, redirected = media.state.requests
    assert api["authorization"].startswith("Basic ")
    assert redirected["path"].startswith("/media/")
    assert redirected["authorization"] is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("AccountSid", "AC" + "f" * 32, "AccountSid"),
        ("RecordingSid", "RE123", "RecordingSid"),
        ("RecordingSid", "../../etc/passwd", "RecordingSid"),
        ("CallSid", "", "CallSid"),
    ],
)
def test_a_malformed_recording_callback_is_a_clear_400(
    twilio: Any, field: str, value: str, message: str
) -> None:
    params = {
        **twilio.recording_params(twilio.call_params("+14155550100"), "RE" + "2" * 32),
        field: value,
    }
    response = twilio.post("/voicemail/recording-status", params)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert db.session.scalar(select(Voicemail)) is None
