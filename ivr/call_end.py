"""When a call is over: Twilio's final `CallStatus`, or, when that never came, its longest length.

Twilio's status callback (`/ivr/call-status`) names how a call ended. A call whose callback was
lost (no status callback configured on the number, a drill, Backline down at that moment) must
still stop counting as live: no call can stay in the outage line longer than the TwiML allows,
so a call older than `longest_call` is over, whatever its row says.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from app.models.outage import MESSAGE_LIMIT
from ivr.twiml import MAX_MENU_VISITS, SCREEN_TIMEOUT_S

CALL_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
SPOKEN_CHARS_PER_S = 12  # slower than Twilio's voices read, so the bound errs long
PROMPTS_S = 30  # the greeting, the menu's choices and the ETR, per menu visit
MARGIN_S = 60  # webhooks answered slowly, the goodbye, Twilio's own delays
SETTINGS = ("MENU_TIMEOUT", "DIAL_TIMEOUT", "RECORD_MAX_LENGTH", "RECORD_SILENCE_TIMEOUT")


def call_ended(status: str | None) -> bool:
    """Whether Twilio's `CallStatus` says the call is over."""
    return status in CALL_ENDED


def longest_call(config: Mapping[str, Any]) -> timedelta:
    """The longest a call can stay in the outage line, from the settings its TwiML uses.

    The primary rings (a failed pass-through falls over to the outage line), the menu is
    offered MAX_MENU_VISITS times with the caller message read in full each time, the backup
    number rings and is screened, then the caller records a message of the longest length.
    """
    seconds = {name: int(config[f"BACKLINE_{name}"]) for name in SETTINGS}
    menu_s = seconds["MENU_TIMEOUT"] + MESSAGE_LIMIT / SPOKEN_CHARS_PER_S + PROMPTS_S
    dials_s = 2 * seconds["DIAL_TIMEOUT"] + SCREEN_TIMEOUT_S
    record_s = seconds["RECORD_MAX_LENGTH"] + seconds["RECORD_SILENCE_TIMEOUT"]
    return timedelta(seconds=MAX_MENU_VISITS * menu_s + dials_s + record_s + MARGIN_S)
