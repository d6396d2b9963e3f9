"""The stand-in's Messages resource: sending an SMS, answering as Twilio's REST API does.

A send is recorded in `MediaState.messages` (by SM sid, as Twilio's JSON plus the
`status_callback` it was given) and answered 201. Tests script failures on `MediaState.sms`:
`outage` makes every send fail at the provider (HTTP 500/503, 401, 429...), `refusals` refuses
one number with a recipient-level error code (21610 opted out, 21614 landline...), `hold_s` keeps
each send waiting that long before it is answered (a slow provider), recording when in `held`.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.twilio.simulator.media_server import MediaState

PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

# Twilio's error codes the stand-in answers with: code -> (HTTP status, Twilio's message).
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service is unavailable. Please try again"),
    21211: (400, "The 'To' number is not a valid phone number"),
    21602: (400, "Message body is required"),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"),
    21604: (400, "A 'To' phone number is required"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21611: (400, "This 'From' number has exceeded the maximum number of queued messages"),
    21612: (400, "The 'To' phone number is not currently reachable via SMS"),
    21614: (400, "'To' number is not a valid mobile number"),
}

Reply = tuple[int, dict[str, Any]]


@dataclass
class SmsScript:
    """How the stand-in answers sends: all failing (a provider outage), some numbers refused, or
    every answer slow."""

    outage: int | None = None  # an error code from ERRORS every send fails with; None: up
    refusals: dict[str, int] = field(default_factory=dict)  # E.164 number -> error code
    hold_s: float = 0.0  # how long each send waits before it is answered
    held: list[tuple[float, float]] = field(default_factory=list)  # each held send: (from, to)
    released: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.outage = None
        self.refusals.clear()
        self.hold_s = 0.0
        self.held.clear()
        self.released.set()  # sends held now are answered at once
        self.released = threading.Event()

    def hold(self) -> None:
        """Keep this send waiting `hold_s` seconds (less if reset meanwhile); record when (Unix
        time), once it is answered."""
        if self.hold_s <= 0:
            return
        started = time.time()
        self.released.wait(self.hold_s)
        self.held.append((started, time.time()))


def answer(state: MediaState, form: dict[str, str] | None) -> Reply:
    """Create a Message from an authenticated POST's form, or refuse it as Twilio would."""
    if form is None:
        return 400, {"code": 20001, "message": "Send the parameters form-encoded", "status": 400}
    if state.sms.outage is not None:
        return error(state.sms.outage)
    to, body = form.get("To", ""), form.get("Body", "")
    service, sender = form.get("MessagingServiceSid", ""), form.get("From", "")
    if not to:
        return error(21604)
    if not E164.match(to):
        return error(21211)
    if not body:
        return error(21602)
    if not (SERVICE_SID.match(service) or sender):
        return error(21603)
    if to in state.sms.refusals:
        return error(state.sms.refusals[to])
    sid = "SM" + secrets.token_hex(16)
    state.messages[sid] = _message_json(state, sid, to, body, service or None, sender or None)
    state.messages[sid]["status_callback"] = form.get("StatusCallback") or None
    return 201, {k: v for k, v in state.messages[sid].items() if k != "status_callback"}


def error(code: int) -> Reply:
    """Twilio's JSON error answer for one of ERRORS."""
    status, message = ERRORS[code]
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _message_json(
    state: MediaState, sid: str, to: str, body: str, service: str | None, sender: str | None
) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return {
        "sid": sid,
        "account_sid": state.account_sid,
        "to": to,
        "from": None if service else sender,  # a Messaging Service picks the sender later
        "messaging_service_sid": service,
        "body": body,
        "status": "accepted" if service else "queued",
        "direction": "outbound-api",
        "num_segments": "0" if service else "1",
        "error_code": None,
        "error_message": None,
        "date_created": now,
        "date_updated": now,
        "uri": f"/2010-04-01/Accounts/{state.account_sid}/Messages/{sid}.json",
    }
