"""A local stand-in for Twilio's recording media endpoint.

Serves `/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav` behind basic auth and,
like Twilio, can answer with a redirect to a media host that needs no credentials.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})\.wav$")
MEDIA_PATH = re.compile(r"^/media/(RE[0-9a-f]{32})\.wav$")


@dataclass
class Recording:
    body: bytes
    content_type: str = "audio/x-wav"
    status: int = 200


@dataclass
class MediaState:
    account_sid: str
    auth_token: str
    recordings: dict[str, Recording] = field(default_factory=dict)
    redirect_to: str | None = None  # e.g. "http://localhost:PORT": redirect like Twilio does
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _MediaHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests
        return

    def do_GET(self) -> None:
        state = self.server.state
        state.requests.append(
            {
                "path": self.path,
                "host": self.headers.get("Host"),
                "authorization": self.headers.get("Authorization"),
            }
        )
        api = API_PATH.match(self.path)
        media = MEDIA_PATH.match(self.path)
        if api:
            self._api(state, api.group(1), api.group(2))
        elif media:
            self._send(state.recordings.get(media.group(1)))
        else:
            self._reply(404, b"not found", "text/plain")

    def _api(self, state: MediaState, account_sid: str, recording_sid: str) -> None:
        expected = base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
        if (
            self.headers.get("Authorization") != f"Basic {expected}"
            or account_sid != state.account_sid
        ):
            self._reply(401, b"authentication required", "text/plain")
        elif state.redirect_to and recording_sid in state.recordings:
            self.send_response(302)
            self.send_header("Location", f"{state.redirect_to}/media/{recording_sid}.wav")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(state.recordings.get(recording_sid))

    def _send(self, recording: Recording | None) -> None:
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
