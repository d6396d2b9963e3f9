"""A local stand-in for Twilio's REST API: recording media, IncomingPhoneNumbers and Messages.

Serves `/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav` behind basic auth and,
like Twilio, can answer with a redirect to a media host that needs no credentials. The same server
lists and updates the account's phone numbers (`rest_api.py`) and lists recordings and fetches
calls (`recordings_api.py`), and sends SMS (`messages_api.py`) behind the same basic auth.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.twilio.simulator import messages_api, recordings_api, rest_api

API_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})\.wav$"
)
MEDIA_PATH = re.compile(r"^/media/(RE[0-9a-fA-F]{32})\.wav$")


@dataclass
class Recording:
    body: bytes
    content_type: str = "audio/x-wav"
    status: int = 200
    delay: float = 0.0  # seconds the media takes to start arriving (a slow Twilio)
    # What the Recordings API says about it (for the reconciler):
    call_sid: str | None = None
    duration: int = 0
    source: str = "RecordVerb"
    recording_status: str = "completed"
    date_created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class MediaState:
    account_sid: str
    auth_token: str
    recordings: dict[str, Recording] = field(default_factory=dict)
    redirect_to: str | None = None  # e.g. "http://localhost:PORT": redirect like Twilio does
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)  # PN sid -> Twilio's JSON
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # CA sid -> {"to", "from", ...}
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # SM sid -> a sent SMS
    transcriptions: dict[str, str] = field(default_factory=dict)  # TR sid -> its RecordingSid
    # A sick Twilio: Recordings/Calls/Transcriptions paths that answer this HTTP status instead.
    rest_errors: dict[str, int] = field(default_factory=dict)
    sms: messages_api.SmsScript = field(default_factory=messages_api.SmsScript)

    def authorises(self, header: str | None, account_sid: str) -> bool:
        """Whether `Authorization` carries this account's credentials, for its own resources."""
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}" and account_sid == self.account_sid


class _Handler(BaseHTTPRequestHandler):
    server: _MediaHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests
        return

    def do_GET(self) -> None:
        state = self.server.state
        self._record(state)
        api = API_PATH.match(self.path)
        media = MEDIA_PATH.match(self.path)
        if api:
            self._api(state, api.group(1), api.group(2))
        elif media:
            self._send(state.recordings.get(media.group(1)))
        elif rest_api.NUMBERS_PATH.match(self.path):
            self._numbers(state, None)
        elif recordings_api.ANY_PATH.match(urlsplit(self.path).path):
            self._recordings(state)
        else:
            self._reply(404, b"not found", "text/plain")

    def do_DELETE(self) -> None:
        state = self.server.state
        self._record(state)
        self._recordings(state)

    def do_POST(self) -> None:
        state = self.server.state
        form = self._form()
        self._record(state, form)
        if rest_api.NUMBERS_PATH.match(self.path):
            self._numbers(state, form)
        elif messages_api.PATH.match(urlsplit(self.path).path):
            self._messages(state, form)
        else:
            self._reply(404, b"not found", "text/plain")

    def _record(self, state: MediaState, form: dict[str, str] | None = None) -> None:
        entry = {
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("Host"),
            "authorization": self.headers.get("Authorization"),
        }
        state.requests.append({**entry, "form": form} if self.command == "POST" else entry)

    def _form(self) -> dict[str, str] | None:
        """The POST body's fields; None when it is not form-encoded (Twilio's API wants that)."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return None
        return dict(parse_qsl(body.decode(), keep_blank_values=True))

    def _numbers(self, state: MediaState, form: dict[str, str] | None) -> None:
        parts = urlsplit(self.path)
        account = rest_api.NUMBERS_PATH.match(parts.path)
        if not account or not state.authorises(self.headers.get("Authorization"), account[1]):
            status, body = 401, {"code": 20003, "message": "Authenticate", "status": 401}
        else:
            status, body = rest_api.answer(state, self.command, parts.path, parts.query, form)
        self._reply(status, json.dumps(body).encode(), "application/json")

    def _messages(self, state: MediaState, form: dict[str, str] | None) -> None:
        account = messages_api.PATH.match(urlsplit(self.path).path)
        if not account or not state.authorises(self.headers.get("Authorization"), account[1]):
            status, body = messages_api.error(20003)
        else:
            state.sms.hold()
            status, body = messages_api.answer(state, form)
        self._reply(status, json.dumps(body).encode(), "application/json")

    def _recordings(self, state: MediaState) -> None:
        parts = urlsplit(self.path)
        account = recordings_api.ANY_PATH.match(parts.path)
        if not account or not state.authorises(self.headers.get("Authorization"), account[1]):
            status, body = 401, {"code": 20003, "message": "Authenticate", "status": 401}
        elif parts.path in state.rest_errors:
            status = state.rest_errors[parts.path]
            body = {"code": 20500, "message": "Internal Server Error", "status": status}
        else:
            status, body = recordings_api.answer(state, self.command, parts.path, parts.query)
        if status == 204:
            self.send_response(204)
            self.end_headers()
            return
        self._reply(status, json.dumps(body).encode(), "application/json")

    def _api(self, state: MediaState, account_sid: str, recording_sid: str) -> None:
        if not state.authorises(self.headers.get("Authorization"), account_sid):
            self._reply(401, b"authentication required", "text/plain")
        elif state.redirect_to and recording_sid in state.recordings:
            self.send_response(302)
            self.send_header("Location", f"{state.redirect_to}/media/{recording_sid}.wav")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(state.recordings.get(recording_sid))

    def _send(self, recording: Recording | None) -> None:
        if recording is not None and recording.delay:
            time.sleep(recording.delay)
        if recording is None:
            self._reply(
                404, b'{"message": "The requested resource was not found"}', "application/json"
            )
        else:
            self._reply(recording.status, recording.body, recording.content_type)

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _MediaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: MediaState


class MediaServer:
    """Runs the stand-in on a background thread: `with MediaServer(state, port=0) as server:`."""

    def __init__(self, state: MediaState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.httpd = _MediaHTTPServer((host, port), _Handler)
        self.httpd.state = state
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MediaServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
