"""What every voice webhook needs: the CallSid, who was called, the outage, the language."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from flask import Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app.resilience.snapshot import directory
from app.resilience.snapshot_types import OutageEntry, SubscriberEntry, outage_heard
from app.twilio.form import is_sid
from ivr.calls import find_subscriber
from ivr.twiml import Caller
from ivr.wording import SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class CallContext:
    call_sid: str
    subscriber: SubscriberEntry | None
    outage: OutageEntry | None
    caller: Caller

    @property
    def called_number(self) -> str:
        return self.subscriber.number if self.subscriber else request.form.get("To", "")

    def row(self) -> dict[str, object]:
        """The call row's fields this request knows."""
        form = request.form
        return {
            "subscriber_id": self.subscriber.id if self.subscriber else None,
            "outage_id": self.outage.id if self.outage else None,
            "from_number": form.get("From"),
            "caller_name": (form.get("CallerName") or "")[:100] or None,
            "to_number": form.get("To"),
            "forwarded_from": form.get("ForwardedFrom"),
            "status": form.get("CallStatus"),
            "language": self.caller.language,
        }


def call_sid(field: str = "CallSid") -> str:
    """The request's CallSid (or ParentCallSid), validated; 400 when malformed."""
    sid = request.form.get(field, "")
    if not is_sid(sid, "CA"):
        abort(
            400, f"{field} is missing or is not a Twilio call SID (CA followed by 32 hex digits)."
        )
    structlog.contextvars.bind_contextvars(call_sid=sid)
    return sid


def call_context() -> CallContext:
    """Look up the called subscriber and their outage in the snapshot cache."""
    sid = call_sid()
    subscriber = find_subscriber(request.form.get("To"), request.form.get("ForwardedFrom"))
    outage = outage_heard(directory.outages(), subscriber)
    return CallContext(sid, subscriber, outage, Caller(subscriber, language_of(subscriber)))


def language_of(subscriber: SubscriberEntry | None, asked: str | None = None) -> str:
    """The caller's language: asked for (and supported), else the subscriber's, else the default."""
    for language in (asked, subscriber.language if subscriber else None):
        if language in SUPPORTED_LANGUAGES:
            return language
    return str(current_app.config["BACKLINE_DEFAULT_LANGUAGE"])


def twiml(response: VoiceResponse | str) -> Response:
    return Response(str(response), mimetype="application/xml")
