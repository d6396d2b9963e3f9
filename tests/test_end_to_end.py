"""One outage call becomes one emailed voicemail, end to end over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.twilio.simulator.player import CallPlayer
from app.twilio.simulator.signed_client import SignedClient
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, SmtpSink
from tests.helpers import free_port, mp3_attachment, mp3_duration


@pytest.fixture
def live_url(settings: dict[str, Any], app: object) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1, its public URL pointing at itself."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = make_server(
        "127.0.0.1", port, create_app({**settings, "BACKLINE_PUBLIC_URL": url}), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()


def test_outage_call_becomes_an_email_with_the_mp3(
    live_url: str, media: Any, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    subscriber(
        number="+14155550100",
        name="Acme Plumbing",
        emails=["office@acme.example"],
        timezone="America/Los_Angeles",
    )
    outage(
        caller_message="Acme cannot take calls right now.",
        subscriber_message="Our platform is down since 14:00; we expect it back by 16:00.",
    )
    heard: list[str] = []
    player = CallPlayer(
        SignedClient(AUTH_TOKEN),
        media.state,
        {
            "CallSid": "CA" + "b2" * 16,
            "AccountSid": ACCOUNT_SID,
            "From": "+12125550142",
            "To": "+14155550100",
            "Direction": "inbound",
        },
        speak_seconds=7,
        echo=heard.append,
    )
    outcome = player.run(f"{live_url}/ivr/voice")

    assert "Acme cannot take calls right now." in outcome.heard
    assert any("delivered by email" in line for line in outcome.heard)
    [message] = smtp.wait_for(1)
    assert message["To"] == "office@acme.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert mp3_duration(mp3_attachment(message)) == pytest.approx(7.0, abs=0.15)
    body = message.get_body(("plain",)).get_content()
    assert "+1 212-555-0142" in body
    assert "PST" in body  # the subscriber's zone, with its abbreviation
    assert "0:07" in body
    assert "we expect it back by 16:00" in body
    # The media server was asked with our credentials, for our account's recording.
    [fetch] = [r for r in media.state.requests if r["path"].endswith(".wav")]
    assert (
        fetch["path"]
        == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{outcome.recording_sid}.wav"
    )
    assert fetch["authorization"].startswith("Basic ")
