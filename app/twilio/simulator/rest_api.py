"""The stand-in's IncomingPhoneNumbers REST API, answering as Twilio's does.

`answer()` takes an authenticated request to `/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers…`
and returns the status and JSON body Twilio would send: the list with its `PhoneNumber` filter
(partial numbers, `*` for any digit) and paging, and the update of one number's voice settings.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from app.twilio.simulator.media_server import MediaState

LIST_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers\.json$")
ONE_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers/(PN[0-9a-fA-F]{32})\.json$"
)
NUMBERS_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers")
MAX_PAGE_SIZE = 1000

# The form parameters an update accepts, and the JSON field each one sets.
UPDATABLE = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "VoiceApplicationSid": "voice_application_sid",
}

Reply = tuple[int, dict[str, Any]]


def add_number(state: MediaState, phone_number: str, **fields: Any) -> str:
    """Put a number on the stand-in's account, as buying one would; return its PN sid."""
    sid = "PN" + secrets.token_hex(16)
    state.numbers[sid] = {
        "sid": sid,
        "account_sid": state.account_sid,
        "phone_number": phone_number,
        "friendly_name": phone_number,
        "voice_url": None,
        "voice_method": "POST",
        "voice_fallback_url": None,
        "voice_fallback_method": "POST",
        "status_callback": None,
        "status_callback_method": "POST",
        "voice_application_sid": None,
        "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{state.account_sid}/IncomingPhoneNumbers/{sid}.json",
        **fields,
    }
    return sid


def answer(
    state: MediaState, method: str, path: str, query: str, form: dict[str, str] | None
) -> Reply:
    """Answer one authenticated request under IncomingPhoneNumbers (form: a POST's fields)."""
    listing, one = LIST_PATH.match(path), ONE_PATH.match(path)
    if method == "GET" and listing:
        return _list(state, path, parse_qs(query))
    if one and method == "POST":
        return _update(state, path, one.group(2), form)
    return _error(404 if method == "GET" else 405, 20404, f"{method} {path} is not supported")


def _list(state: MediaState, path: str, query: dict[str, list[str]]) -> Reply:
    pattern = _phone_pattern(query.get("PhoneNumber", [""])[0])
    matching = [n for n in state.numbers.values() if pattern.search(n["phone_number"])]
    try:
        size = min(int(query.get("PageSize", ["50"])[0]), MAX_PAGE_SIZE)
        page = int(query.get("Page", ["0"])[0])
    except ValueError:
        return _error(400, 20001, "Page and PageSize must be whole numbers")
    start = page * size
    rows = matching[start : start + size]
    kept = {k: v[0] for k, v in query.items() if k == "PhoneNumber"}
    more = start + size < len(matching)
    return 200, {
        "incoming_phone_numbers": rows,
        "page": page,
        "page_size": size,
        "start": start,
        "end": start + max(len(rows) - 1, 0),
        "uri": _page_uri(path, kept, page, size),
        "first_page_uri": _page_uri(path, kept, 0, size),
        "next_page_uri": _page_uri(path, kept, page + 1, size) if more else None,
        "previous_page_uri": _page_uri(path, kept, page - 1, size) if page > 0 else None,
    }


def _update(state: MediaState, path: str, sid: str, form: dict[str, str] | None) -> Reply:
    number = state.numbers.get(sid)
    if number is None:
        return _not_found(path)
    if form is None:
        return _error(400, 20001, "Send the parameters as application/x-www-form-urlencoded")
    for name, value in form.items():
        if name in UPDATABLE:
            number[UPDATABLE[name]] = value or None
    if form.get("VoiceApplicationSid"):
        number["trunk_sid"] = None  # as on Twilio: an application and a trunk exclude each other
    return 200, number


def _phone_pattern(value: str) -> re.Pattern[str]:
    return re.compile(re.escape(value.strip()).replace(r"\*", r"\d"))


def _page_uri(path: str, kept: dict[str, str], page: int, size: int) -> str:
    return f"{path}?{urlencode({**kept, 'PageSize': size, 'Page': page})}"


def _not_found(path: str) -> Reply:
    return _error(404, 20404, f"The requested resource {path} was not found")


def _error(status: int, code: int, message: str) -> Reply:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
