"""A small client for the Twilio REST calls Backline makes.

Finding and updating phone numbers, listing recordings (for the reconciler), fetching a call,
deleting a recording once Backline holds a verified copy (and, for retention, its transcriptions),
and sending an SMS.

It talks to `TWILIO_API_URL` (Twilio, a Twilio-compatible provider or the local stand-in), which
the twilio helper library cannot be pointed at. Every failure is a `TwilioApiError` whose message
is a sentence naming the HTTP status and Twilio's own `message`, never the auth token, and
carries Twilio's numeric error `code` when it gave one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

TIMEOUT = (5.0, 20.0)  # seconds to connect, seconds to wait for an answer
PAGE_SIZE = 50


class TwilioApiError(RuntimeError):
    """A Twilio REST call failed; the message says why in a sentence."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when Twilio answered at all
        self.code = code  # Twilio's error code (21610, 20429...), when the answer carried one


@dataclass(frozen=True)
class IncomingNumber:
    """The parts of an IncomingPhoneNumber that Backline reads."""

    sid: str
    phone_number: str
    voice_url: str | None = None
    voice_fallback_url: str | None = None
    status_callback: str | None = None
    voice_application_sid: str | None = None
    trunk_sid: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IncomingNumber:
        return cls(
            sid=data["sid"],
            phone_number=data["phone_number"],
            voice_url=data.get("voice_url") or None,
            voice_fallback_url=data.get("voice_fallback_url") or None,
            status_callback=data.get("status_callback") or None,
            voice_application_sid=data.get("voice_application_sid") or None,
            trunk_sid=data.get("trunk_sid") or None,
        )


@dataclass(frozen=True)
class VoiceWebhooks:
    """Where Twilio sends a number's calls, its failed calls and its call status."""

    voice_url: str
    fallback_url: str
    status_callback: str

    def as_form(self) -> dict[str, str]:
        return {
            "VoiceUrl": self.voice_url,
            "VoiceMethod": "POST",
            "VoiceFallbackUrl": self.fallback_url,
            "VoiceFallbackMethod": "POST",
            "StatusCallback": self.status_callback,
            "StatusCallbackMethod": "POST",
        }


class TwilioRest:
    """The account's IncomingPhoneNumbers: `with TwilioRest(url, sid, token) as api: ...`."""

    def __init__(self, api_url: str, account_sid: str, auth_token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.account_sid = account_sid
        self._token = auth_token
        self.http = requests.Session()
        self.http.trust_env = False  # credentials must not go through an ambient proxy
        self.http.auth = (account_sid, auth_token)
        self.http.headers["Accept"] = "application/json"

    def __enter__(self) -> TwilioRest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.close()

    @property
    def _numbers_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers"

    def find_number(self, phone_number: str) -> IncomingNumber | None:
        """The account's number with exactly this E.164 value, or None."""
        query = {"PhoneNumber": phone_number, "PageSize": str(PAGE_SIZE)}
        page = self._call("GET", f"{self._numbers_path}.json", params=query)
        # Twilio's PhoneNumber filter also matches partial numbers: keep the exact one only.
        for row in page.get("incoming_phone_numbers") or []:
            if row.get("phone_number") == phone_number:
                return IncomingNumber.from_json(row)
        return None

    def all_numbers(self) -> Iterator[IncomingNumber]:
        """Every number on the account, page by page."""
        uri = f"{self._numbers_path}.json?PageSize={PAGE_SIZE}"
        for row in self._pages(uri, "incoming_phone_numbers"):
            yield IncomingNumber.from_json(row)

    def recordings_since(self, day: date) -> Iterator[dict[str, Any]]:
        """The account's recordings created on or after `day` (Twilio filters by date)."""
        query = urlencode({"DateCreated>": day.isoformat(), "PageSize": PAGE_SIZE})
        yield from self._pages(
            f"/2010-04-01/Accounts/{self.account_sid}/Recordings.json?{query}", "recordings"
        )

    def call(self, call_sid: str) -> dict[str, Any] | None:
        """One call's details (to, from, forwarded_from...), or None if Twilio has no such call."""
        try:
            return self._call(
                "GET", f"/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}.json"
            )
        except TwilioApiError as exc:
            if exc.status == 404:
                return None
            raise

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording (and its media) from Twilio."""
        self._call(
            "DELETE", f"/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}.json"
        )

    def recording_transcriptions(self, recording_sid: str) -> list[str]:
        """The SIDs of a recording's transcriptions; none when Twilio knows no such recording."""
        uri = (
            f"/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"
            f"/Transcriptions.json?PageSize={PAGE_SIZE}"
        )
        try:
            return [row["sid"] for row in self._pages(uri, "transcriptions")]
        except TwilioApiError as exc:
            if exc.status == 404:
                return []
            raise

    def delete_transcription(self, transcription_sid: str) -> None:
        """Delete one transcription (its text) from Twilio."""
        self._call(
            "DELETE",
            f"/2010-04-01/Accounts/{self.account_sid}/Transcriptions/{transcription_sid}.json",
        )

    def send_message(
        self,
        to: str,
        body: str,
        *,
        messaging_service_sid: str | None = None,
        sender: str | None = None,
        status_callback: str | None = None,
    ) -> dict[str, Any]:
        """Create an outbound Message (an SMS); return it as Twilio has it (`sid`, `status`...).

        A Messaging Service picks the sender itself; otherwise `sender` is the From number.
        """
        form = {"To": to, "Body": body}
        if messaging_service_sid:
            form["MessagingServiceSid"] = messaging_service_sid
        elif sender:
            form["From"] = sender
        if status_callback:
            form["StatusCallback"] = status_callback
        return self._call(
            "POST", f"/2010-04-01/Accounts/{self.account_sid}/Messages.json", data=form
        )

    def _pages(self, uri: str, key: str) -> Iterator[dict[str, Any]]:
        next_uri: str | None = uri
        seen: set[str] = set()
        while next_uri:
            if next_uri in seen:
                raise TwilioApiError(f"Twilio returned the page {next_uri} twice; stopping.")
            seen.add(next_uri)
            page = self._call("GET", next_uri)
            yield from page.get(key) or []
            next_uri = page.get("next_page_uri")

    def update_number(
        self, sid: str, webhooks: VoiceWebhooks, detach_application: bool = False
    ) -> IncomingNumber:
        """Point one number's voice webhooks at `webhooks`; return the number as Twilio has it."""
        form = webhooks.as_form()
        if detach_application:  # a TwiML App's URLs would win over the number's own
            form["VoiceApplicationSid"] = ""
        row = self._call("POST", f"{self._numbers_path}/{sid}.json", data=form)
        return IncomingNumber.from_json(row)

    def _call(self, method: str, uri: str, **kwargs: Any) -> dict[str, Any]:
        """Send one request (`uri` relative to TWILIO_API_URL) and return its JSON body."""
        try:
            response = self.http.request(method, self.api_url + uri, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise TwilioApiError(
                f"Could not reach the Twilio API at {urlsplit(self.api_url).netloc} "
                f"({type(exc).__name__}); check TWILIO_API_URL and the network."
            ) from None
        with response:
            if response.status_code >= 400:
                raise TwilioApiError(
                    self._explain(method, response), response.status_code, _error_code(response)
                )
            if response.status_code == 204:
                return {}
            try:
                body = response.json()
            except ValueError:
                raise TwilioApiError(
                    f"Twilio answered {method} {urlsplit(uri).path} with something other than JSON."
                ) from None
        if not isinstance(body, dict):
            raise TwilioApiError(f"Twilio answered {method} {urlsplit(uri).path} with odd JSON.")
        return body

    def _explain(self, method: str, response: requests.Response) -> str:
        try:
            detail = str(response.json().get("message") or "")
        except (ValueError, AttributeError):
            detail = ""
        detail = (detail or response.reason or "no explanation").rstrip(".")
        sentence = (
            f"Twilio answered HTTP {response.status_code} to {method} "
            f"{urlsplit(response.url).path}: {detail}."
        )
        if response.status_code == 401:
            sentence += " Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
        return sentence.replace(self._token, "[auth token]") if self._token else sentence


def _error_code(response: requests.Response) -> int | None:
    """Twilio's numeric error code from an error answer's JSON, if it has one."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def twilio_rest(config: Mapping[str, Any]) -> TwilioRest:
    """A client for the account in this app's configuration."""
    return TwilioRest(
        config["TWILIO_API_URL"], config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
    )
