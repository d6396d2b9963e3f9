"""The stand-in's Recordings and Calls resources, answering as Twilio's REST API does.

Lists recordings (`DateCreated>=` filter, newest first, paging with `next_page_uri`), fetches a
call, and deletes a recording, for the reconciler and for deleting audio once it is stored; lists
a recording's transcriptions and deletes one, for retention. Like Twilio's, a recording's
transcriptions outlive it until they are deleted themselves.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from app.twilio.simulator.media_server import MediaState

TWILIO_TIME = "%a, %d %b %Y %H:%M:%S +0000"  # how Twilio writes times (RFC 2822, in UTC)
LIST_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings\.json$")
ONE_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})\.json$"
)
CALL_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls/(CA[0-9a-fA-F]{32})\.json$"
)
TRANSCRIPTIONS_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})/Transcriptions\.json$"
)
TRANSCRIPTION_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Transcriptions/(TR[0-9a-fA-F]{32})\.json$"
)
ANY_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/(Recordings|Calls|Transcriptions)(/[^/]*)*\.json$"
)

Reply = tuple[int, dict[str, Any]]
NOT_FOUND: Reply = (
    404,
    {"code": 20404, "message": "The requested resource was not found", "status": 404},
)


def answer(state: MediaState, method: str, path: str, query: str) -> Reply:
    """The status and JSON Twilio would answer for an authenticated request."""
    if method == "GET" and LIST_PATH.match(path):
        return _list(state, path, parse_qs(query))
    one = ONE_PATH.match(path)
    if one and method == "DELETE":
        return (204, {}) if state.recordings.pop(one[2], None) else NOT_FOUND
    if one and method == "GET":
        recording = state.recordings.get(one[2])
        return (200, _recording_json(state, one[2], recording)) if recording else NOT_FOUND
    transcriptions = TRANSCRIPTIONS_PATH.match(path)
    if transcriptions and method == "GET":
        sids = [tr for tr, re_sid in state.transcriptions.items() if re_sid == transcriptions[2]]
        listing = [{"sid": sid, "recording_sid": transcriptions[2]} for sid in sids]
        return 200, {"transcriptions": listing, "next_page_uri": None}
    transcription = TRANSCRIPTION_PATH.match(path)
    if transcription and method == "DELETE":
        return (204, {}) if state.transcriptions.pop(transcription[2], None) else NOT_FOUND
    call = CALL_PATH.match(path)
    if call and method == "GET":
        found = state.calls.get(call[2])
        return (
            (200, {"sid": call[2], "account_sid": state.account_sid, **found})
            if found
            else NOT_FOUND
        )
    return NOT_FOUND


def _list(state: MediaState, path: str, query: dict[str, list[str]]) -> Reply:
    since = date.fromisoformat(query["DateCreated>"][0]) if "DateCreated>" in query else None
    page = int(query.get("Page", ["0"])[0])
    size = int(query.get("PageSize", ["50"])[0])
    matching = sorted(
        (
            (sid, r)
            for sid, r in state.recordings.items()
            if r.call_sid and (since is None or r.date_created.date() >= since)
        ),
        key=lambda item: item[1].date_created,
        reverse=True,
    )
    chunk = matching[page * size : (page + 1) * size]
    more = (page + 1) * size < len(matching)
    params = {k: v[0] for k, v in query.items() if k != "Page"}
    return 200, {
        "recordings": [_recording_json(state, sid, r) for sid, r in chunk],
        "page": page,
        "page_size": size,
        "next_page_uri": f"{path}?{urlencode({**params, 'Page': page + 1})}" if more else None,
    }


def _recording_json(state: MediaState, sid: str, recording: Any) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": state.account_sid,
        "call_sid": recording.call_sid,
        "duration": str(recording.duration),
        "status": recording.recording_status,
        "source": recording.source,
        "date_created": recording.date_created.strftime(TWILIO_TIME),
        "start_time": recording.date_created.strftime(TWILIO_TIME),
    }
