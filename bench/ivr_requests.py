"""Pre-built, signed Twilio voice webhooks for wrk to replay, one distinct CallSid each.

wrk's Lua has no HMAC-SHA1, so the requests are signed here with twilio's RequestValidator,
exactly as Twilio signs them, and written to one file per wrk thread (NUL-separated).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

PATH = "/ivr/voice"


def voice_params(call_sid: str, account_sid: str, to: str, caller: str) -> dict[str, str]:
    """The form Twilio posts for an incoming call (the fields it sends on every call)."""
    return {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": to,
        "CalledCountry": "US",
        "CalledState": "CA",
        "Caller": caller,
        "CallerCountry": "US",
        "CallerState": "NY",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "US",
        "FromState": "NY",
        "To": to,
        "ToCountry": "US",
        "ToState": "CA",
    }


def signed_request(validator: RequestValidator, public_url: str, params: dict[str, str]) -> bytes:
    """One raw HTTP/1.1 POST of `params` to PATH with its X-Twilio-Signature."""
    signature = validator.compute_signature(public_url.rstrip("/") + PATH, params)
    body = urlencode(params)
    head = (
        f"POST {PATH} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return (head + body).encode()


def write_request_files(
    prefix: Path, count: int, threads: int, *, auth_token: str, public_url: str, **call: str
) -> None:
    """Write `count` signed requests with fresh CallSids across PREFIX-0.req … PREFIX-N.req.

    `call` gives voice_params' account_sid, to and caller.
    """
    validator = RequestValidator(auth_token)
    per_thread = count // threads
    for thread in range(threads):
        requests = (
            signed_request(validator, public_url, voice_params(new_call_sid(), **call))
            for _ in range(per_thread)
        )
        Path(f"{prefix}-{thread}.req").write_bytes(b"\0".join(requests))


def new_call_sid() -> str:
    """A CallSid Twilio could have made: CA and 32 hex digits."""
    return "CA" + secrets.token_hex(16)
