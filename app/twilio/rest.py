"""The Twilio REST calls Backline makes, through twilio's own `Client`.

Finding and updating phone numbers, listing recordings (for the reconciler), fetching a call,
deleting a recording once Backline holds a verified copy (and, for retention, its transcriptions),
and sending an SMS.

The client talks to `TWILIO_API_URL` (Twilio, a Twilio-compatible provider or the local stand-in):
it is the base URL of the library's `api` domain, and `TwilioHttp` (app.twilio.http_client) carries the
requests, with Backline's timeouts and its `TwilioApiError` sentences for every failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from types import TracebackType
from typing import Any

from twilio.rest import Client

from app.twilio.http_client import TwilioApiError, TwilioHttp
from app.twilio.records import CallFacts, IncomingNumber, RecordingFacts, VoiceWebhooks

__all__ = [
    "CallFacts",
    "IncomingNumber",
    "RecordingFacts",
    "TwilioApiError",
    "TwilioRest",
    "VoiceWebhooks",
    "twilio_rest",
]

PAGE_SIZE = 50


class TwilioRest:
    """The account's resources at TWILIO_API_URL: `with TwilioRest(url, sid, token) as api: ...`."""

    def __init__(self, api_url: str, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.http = TwilioHttp(auth_token)
        client = Client(account_sid, auth_token, http_client=self.http)
        # TWILIO_EDGE or TWILIO_REGION in the environment would rewrite TWILIO_API_URL's host.
        client.edge = client.region = None
        client.api.base_url = api_url.rstrip("/")
        self.account = client.api.v2010.accounts(account_sid)

    def __enter__(self) -> TwilioRest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def find_number(self, phone_number: str) -> IncomingNumber | None:
        """The account's number with exactly this E.164 value, or None."""
        page = self.account.incoming_phone_numbers.page(
            phone_number=phone_number, page_size=PAGE_SIZE
        )
        # Twilio's PhoneNumber filter also matches partial numbers: keep the exact one only.
        for number in page:
            if number.phone_number == phone_number:
                return IncomingNumber.from_twilio(number)
        return None

    def all_numbers(self) -> Iterator[IncomingNumber]:
        """Every number on the account, page by page."""
        first = self.account.incoming_phone_numbers.page(page_size=PAGE_SIZE)
        for number in _pages(first):
            yield IncomingNumber.from_twilio(number)

    def update_number(
        self, sid: str, webhooks: VoiceWebhooks, detach_application: bool = False
    ) -> IncomingNumber:
        """Point one number's voice webhooks at `webhooks`; return the number as Twilio has it."""
        update = webhooks.as_update()
        if detach_application:  # a TwiML App's URLs would win over the number's own
            update["voice_application_sid"] = ""
        return IncomingNumber.from_twilio(self.account.incoming_phone_numbers(sid).update(**update))

    def recordings_since(self, day: date) -> Iterator[RecordingFacts]:
        """The account's recordings created on or after `day` (Twilio filters by date)."""
        # A string, as Twilio wants the date: the library would send a date as midnight's time.
        first = self.account.recordings.page(
            date_created_after=day.isoformat(), page_size=PAGE_SIZE
        )
        for recording in _pages(first):
            yield RecordingFacts(
                recording.sid,
                recording.account_sid,
                recording.call_sid,
                recording.duration,
                recording.status,
                recording.source,
                recording.start_time,
            )

    def call(self, call_sid: str) -> CallFacts | None:
        """One call's numbers and start, or None if Twilio has no such call."""
        try:
            call = self.account.calls(call_sid).fetch()
        except TwilioApiError as exc:
            if exc.status == 404:
                return None
            raise
        # `_from` is the library's documented name for the call's From (a keyword in Python).
        return CallFacts(call.to, call._from, call.forwarded_from, call.start_time)

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording (and its media) from Twilio."""
        self.account.recordings(recording_sid).delete()

    def recording_transcriptions(self, recording_sid: str) -> list[str]:
        """The SIDs of a recording's transcriptions; none when Twilio knows no such recording."""
        listing = self.account.recordings(recording_sid).transcriptions
        try:
            return [row.sid for row in _pages(listing.page(page_size=PAGE_SIZE))]
        except TwilioApiError as exc:
            if exc.status == 404:
                return []
            raise

    def delete_transcription(self, transcription_sid: str) -> None:
        """Delete one transcription (its text) from Twilio."""
        self.account.transcriptions(transcription_sid).delete()

    def send_message(
        self,
        to: str,
        body: str,
        *,
        messaging_service_sid: str | None = None,
        sender: str | None = None,
        status_callback: str | None = None,
    ) -> str | None:
        """Create an outbound Message (an SMS); return its SID as Twilio gave it.

        A Messaging Service picks the sender itself; otherwise `sender` is the From number.
        """
        message = self.account.messages.create(
            to=to,
            body=body,
            messaging_service_sid=messaging_service_sid or None,
            from_=None if messaging_service_sid else sender,
            status_callback=status_callback or None,
        )
        sid: str | None = message.sid
        return sid


def _pages(page: Any) -> Iterator[Any]:
    """Every record of a listing from its first page, following Twilio's next-page links."""
    seen: set[str] = set()
    while True:
        yield from page
        following: str | None = page.next_page_url
        if not following:
            return
        if following in seen:
            raise TwilioApiError(f"Twilio returned the page {following} twice; stopping.")
        seen.add(following)
        page = page.next_page()


def twilio_rest(config: Mapping[str, Any]) -> TwilioRest:
    """A client for the account in this app's configuration."""
    return TwilioRest(
        config["TWILIO_API_URL"], config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
    )
