"""Playing Twilio's part in the tests: the account, the public URL, signed webhooks, recordings."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import MediaServer, Recording
from app.twilio.simulator.recordings_api import TWILIO_TIME

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "test-auth-token"
PUBLIC_URL = "https://backline.example.test"


class TwilioHelper:
    """Plays Twilio: signs requests, places calls and serves their recordings."""

    def __init__(self, client: FlaskClient, media: MediaServer) -> None:
        self.client = client
        self.media = media
        self.validator = RequestValidator(AUTH_TOKEN)

    def post(
        self,
        path: str,
        params: dict[str, str],
        headers: dict[str, str] | None = None,
        signature: str | None = None,
        query: str = "",
    ) -> TestResponse:
        """POST `params` (a dict, or a MultiDict for repeated fields) to `path?query`, signed."""
        target = f"{path}?{query}" if query else path
        url = PUBLIC_URL + target
        signed = (
            signature if signature is not None else self.validator.compute_signature(url, params)
        )
        return self.client.post(
            target, data=params, headers={"X-Twilio-Signature": signed, **(headers or {})}
        )

    @staticmethod
    def call_params(to: str, from_: str = "+14155550123") -> dict[str, str]:
        return {
            "CallSid": "CA" + secrets.token_hex(16),
            "AccountSid": ACCOUNT_SID,
            "From": from_,
            "To": to,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }

    def add_recording(self, seconds: float = 5.0, **kwargs: Any) -> str:
        recording_sid = "RE" + secrets.token_hex(16)
        self.media.state.recordings[recording_sid] = Recording(make_wav(seconds), **kwargs)
        return recording_sid

    @staticmethod
    def recording_params(
        call: dict[str, str],
        recording_sid: str,
        seconds: float = 5.0,
        started: datetime | None = None,
    ) -> dict[str, str]:
        """The recording status callback; `started` (default: now) is RecordingStartTime."""
        return {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call["CallSid"],
            "RecordingSid": recording_sid,
            "RecordingStatus": "completed",
            "RecordingDuration": str(round(seconds)),
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
            "RecordingStartTime": (started or datetime.now(UTC)).strftime(TWILIO_TIME),
        }

    def leave_voicemail(self, to: str, seconds: float = 5.0, from_: str = "+14155550123") -> str:
        """Call `to`, get the outage answer, and post the recording callback; return RecordingSid."""
        call = self.call_params(to, from_)
        answer = self.post("/ivr/voice", call)
        assert answer.status_code == 200, answer.text
        recording_sid = self.add_recording(seconds)
        callback = self.post(
            "/voicemail/recording-status", self.recording_params(call, recording_sid, seconds)
        )
        assert callback.status_code == 204, callback.text
        return recording_sid
