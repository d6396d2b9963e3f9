"""The HTTP client that twilio's `Client` sends Backline's REST calls through.

twilio.rest.Client takes any `twilio.http.HttpClient`; this one keeps what Backline needs of
every call, whatever the resource:

- timeouts (5 s to connect, 20 s for an answer), where the library's default waits forever;
- no ambient proxy (`trust_env` off): the account's credentials go to TWILIO_API_URL only;
- no request log: the library's own logs each URL, and phone numbers travel in query strings;
- every failure is a `TwilioApiError` whose message is a sentence naming the HTTP status and
  Twilio's own `message`, never the auth token, and that carries Twilio's numeric error `code`
  when the answer had one. Callers sort failures by `status` and `code`, not by message.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

TIMEOUT = (5.0, 20.0)  # seconds to connect, seconds to wait for an answer

log = logging.getLogger(__name__)


class TwilioApiError(RuntimeError):
    """A Twilio REST call failed; the message says why in a sentence."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when Twilio answered at all
        self.code = code  # Twilio's error code (21610, 20429...), when the answer carried one


class TwilioHttp(HttpClient):
    """One requests session for one account's calls; `close()` it when done."""

    def __init__(self, auth_token: str) -> None:
        super().__init__(log, is_async=False)
        self._token = auth_token
        self.session = requests.Session()
        self.session.trust_env = False

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request for the library; raise TwilioApiError unless Twilio answered JSON."""
        try:
            answer = self.session.request(
                method,
                uri,
                params=params,
                data=data,
                headers=headers,
                auth=auth,
                timeout=timeout or TIMEOUT,
                allow_redirects=allow_redirects,
            )
        except requests.RequestException as exc:
            raise TwilioApiError(
                f"Could not reach the Twilio API at {urlsplit(uri).netloc} "
                f"({type(exc).__name__}); check TWILIO_API_URL and the network."
            ) from None
        with answer:
            if answer.status_code >= 400:
                body = _json_object(answer.text) or {}
                raise TwilioApiError(
                    self._explain(method, answer, body), answer.status_code, _code(body)
                )
            if answer.status_code != 204 and _json_object(answer.text) is None:
                raise TwilioApiError(
                    f"Twilio answered {method} {_path(answer)} with something other than "
                    "a JSON object."
                )
            return Response(answer.status_code, answer.text, answer.headers)

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def _explain(self, method: str, answer: requests.Response, body: dict[str, object]) -> str:
        detail = str(body.get("message") or "") or answer.reason or _phrase(answer.status_code)
        sentence = (
            f"Twilio answered HTTP {answer.status_code} to {method} {_path(answer)}: "
            f"{detail.rstrip('.')}."
        )
        if answer.status_code == 401:
            sentence += " Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
        return sentence.replace(self._token, "[auth token]") if self._token else sentence


def _json_object(text: str) -> dict[str, object] | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _code(body: dict[str, object]) -> int | None:
    """Twilio's numeric error code from an error answer's JSON, if it has one."""
    code = body.get("code")
    return code if isinstance(code, int) else None


def _path(answer: requests.Response) -> str:
    return urlsplit(answer.url).path


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "no explanation"
