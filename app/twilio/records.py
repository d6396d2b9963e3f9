"""What Backline reads of Twilio's resources, and the voice webhooks it sets on a number.

Plain values, so that callers never hold the twilio library's instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
    def from_twilio(cls, number: Any) -> IncomingNumber:
        """From the library's IncomingPhoneNumberInstance."""
        return cls(
            sid=number.sid,
            phone_number=number.phone_number,
            voice_url=number.voice_url or None,
            voice_fallback_url=number.voice_fallback_url or None,
            status_callback=number.status_callback or None,
            voice_application_sid=number.voice_application_sid or None,
            trunk_sid=number.trunk_sid or None,
        )


@dataclass(frozen=True)
class VoiceWebhooks:
    """Where Twilio sends a number's calls, its failed calls and its call status."""

    voice_url: str
    fallback_url: str
    status_callback: str

    def as_update(self) -> dict[str, str]:
        """The IncomingPhoneNumber update that sets them, all by POST."""
        return {
            "voice_url": self.voice_url,
            "voice_method": "POST",
            "voice_fallback_url": self.fallback_url,
            "voice_fallback_method": "POST",
            "status_callback": self.status_callback,
            "status_callback_method": "POST",
        }


@dataclass(frozen=True)
class RecordingFacts:
    """What the reconciler reads of a recording at Twilio."""

    sid: str
    account_sid: str
    call_sid: str | None
    duration: str | None
    status: str | None
    source: str | None
    start_time: datetime | None


@dataclass(frozen=True)
class CallFacts:
    """What attribution reads of a call: Twilio's Calls API, or Backline's own call row."""

    to: str | None
    caller: str | None
    forwarded_from: str | None
    start_time: datetime | None  # Twilio's is to the second
    exact: bool = False  # start_time is Backline's own record of the call
