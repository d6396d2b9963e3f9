"""What a request to `/ivr/fallback` means, and whether it says anything about the primary.

Two things request that URL. A SIP trunk's Disaster Recovery URL is requested when the trunk
could not reach the primary ("if an error occurs while sending SIP traffic towards the
configured Origination URL", in Twilio's words): that is evidence the primary is down. A
number's Fallback URL is requested when Twilio could not fetch or run the TwiML of the number's
Voice URL, with `ErrorCode` and `ErrorUrl`: that is Backline's own webhook failing, and says
nothing about the primary. Twilio documents no parameter that tells the two apart, so Backline's
configuration does: the trunk's URL is `/ivr/fallback?source=trunk` (Twilio signs the whole URL,
so nobody else can add the marker), numbers get the plain `/ivr/fallback`.

Backline's own failures are Twilio's error families 11xxx (fetching the webhook failed: 11200
HTTP retrieval failure, 11205 HTTP connection failure, 11210 HTTP bad host name, ...), 12xxx
(the TwiML document was unusable: 12100 document parse failure, 12200 schema validation, 12300
invalid content type) and 13xxx (a TwiML verb in it could not run).

Anything else is ambiguous, and ambiguous evidence never opens an outage for everyone:
- marked, but naming Backline's own error: a number's Fallback URL carries the marker by mistake;
- unmarked, with no ErrorCode or one outside those families: most likely a trunk still set up
  with the plain URL. The admins are told to add the marker.
"""

from __future__ import annotations

import enum

from app.core.urls import public_url
from app.twilio.form import whole_number

SOURCE_PARAMETER = "source"
TRUNK_SOURCE = "trunk"
OWN_WEBHOOK_FAMILIES = range(11000, 14000)
NAMES = {
    "11100": "Invalid URL format",
    "11200": "HTTP retrieval failure",
    "11205": "HTTP connection failure",
    "11206": "HTTP protocol violation",
    "11210": "HTTP bad host name",
    "11215": "HTTP too many redirects",
    "11217": "HTTP error response code",
    "11220": "SSL/TLS handshake error",
    "11235": "Certificate invalid: domain mismatch",
    "11236": "Certificate invalid: certificate expired",
    "11237": "Certificate invalid: could not find path to certificate",
    "11750": "TwiML response body too large",
    "12100": "Document parse failure",
    "12200": "Schema validation warning",
    "12300": "Invalid Content-Type",
}


class FallbackCause(enum.StrEnum):
    PRIMARY = "primary"  # the trunk could not reach the primary: evidence
    OWN_WEBHOOK = "own-webhook"  # Backline's Voice URL failed: alert the admins
    UNCLASSIFIED = "unclassified"  # nothing says which: alert the admins, count nothing


def classify(source: str | None, error_code: str | None) -> FallbackCause:
    """What one `/ivr/fallback` request means, from its marker and Twilio's ErrorCode."""
    if is_own_webhook_failure(error_code):
        return FallbackCause.OWN_WEBHOOK
    if source == TRUNK_SOURCE:
        return FallbackCause.PRIMARY
    return FallbackCause.UNCLASSIFIED


def error_code(raw: str | None) -> str | None:
    """Twilio's `ErrorCode` as plain digits (it is a number), or None when it is not one."""
    number = whole_number(raw, maximum=99999)
    return None if number is None else str(number)


def is_own_webhook_failure(code: str | None) -> bool:
    """Whether `code` says Backline's own webhook (its URL, or its TwiML) failed."""
    number = whole_number(code, maximum=99999)
    return number is not None and number in OWN_WEBHOOK_FAMILIES


def describe(code: str | None) -> str:
    """`11200 (HTTP retrieval failure)`, or as much as is known about the code."""
    if code is None:
        return "no ErrorCode"
    name = NAMES.get(code)
    return f"{code} ({name})" if name else code


def trunk_recovery_url() -> str:
    """The URL a SIP trunk's Disaster Recovery URL must be set to."""
    return public_url(f"/ivr/fallback?{SOURCE_PARAMETER}={TRUNK_SOURCE}")
