"""The call-flow explorer: it follows every key, dial outcome and redirect, validating the TwiML."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.conftest import PUBLIC_URL, TwilioHelper

# Verbs, nouns and attributes from Twilio's TwiML reference.
ATTRIBUTES: dict[str, set[str]] = {
    "Response": set(),
    "Say": {"voice", "language", "loop"},
    "Pause": {"length"},
    "Gather": {
        "action",
        "method",
        "timeout",
        "numDigits",
        "finishOnKey",
        "input",
        "language",
        "actionOnEmptyResult",
        "speechTimeout",
        "hints",
    },
    "Record": {
        "action",
        "method",
        "timeout",
        "finishOnKey",
        "maxLength",
        "playBeep",
        "trim",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "transcribe",
        "transcribeCallback",
    },
    "Dial": {
        "action",
        "method",
        "timeout",
        "answerOnBridge",
        "callerId",
        "hangupOnStar",
        "timeLimit",
        "record",
        "ringTone",
        "trim",
    },
    "Number": {
        "url",
        "method",
        "sendDigits",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
    },
    "Sip": {
        "url",
        "method",
        "username",
        "password",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
    },
    "Redirect": {"method"},
    "Hangup": set(),
}
CHILDREN = {
    "Response": {"Say", "Pause", "Gather", "Record", "Dial", "Redirect", "Hangup"},
    "Gather": {"Say", "Pause"},
    "Dial": {"Number", "Sip"},
}
MENU_KEYS = ("1", "2", "3", "9", "*")
PRIMARY_OUTCOMES = [
    ("completed", None, "person"),
    ("busy", None, None),
    ("no-answer", None, None),
    ("failed", "503", None),
    ("failed", "404", None),
    ("failed", None, None),
    ("canceled", None, "caller-gone"),
]
BACKUP_OUTCOMES = [
    ("no-answer", None),
    ("busy", None),
    ("failed", None),
    ("completed", "declined"),
    ("canceled", "caller-gone"),
    ("completed", "accepted"),
]
ENDINGS = {"message", "person", "caller-gone"}
MAX_TURNS = 12


def validate(element: ET.Element) -> None:
    """Fail on any verb, noun or attribute Twilio does not document, or one in the wrong place."""
    assert element.tag in ATTRIBUTES, f"<{element.tag}> is not TwiML"
    unknown = set(element.attrib) - ATTRIBUTES[element.tag]
    assert not unknown, f"<{element.tag}> has undocumented attributes {unknown}"
    for child in element:
        assert child.tag in CHILDREN.get(element.tag, set()), (
            f"<{child.tag}> inside <{element.tag}>"
        )
        validate(child)
    if element.tag == "Gather":
        assert element.get("timeout"), "every <Gather> needs an explicit timeout"
    target = element.text if element.tag == "Redirect" else element.get("action")
    if element.tag in ("Gather", "Record", "Dial", "Redirect"):
        assert target and target.startswith(PUBLIC_URL), f"<{element.tag}> leads to {target!r}"


@dataclass
class Explorer:
    twilio: TwilioHelper
    call: dict[str, str]
    endings: list[tuple[str, str]] = field(default_factory=list)
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], None] = field(default_factory=dict)

    def visit(self, url: str, extra: dict[str, str], trail: str, turns: int = 0) -> None:
        assert turns <= MAX_TURNS, f"the call flow loops: {trail}"
        key = (url, tuple(sorted(extra.items())))
        if key in self.seen:
            return
        self.seen[key] = None
        path = url.removeprefix(PUBLIC_URL)
        response = self.twilio.post(path, {**self.call, **extra})
        assert response.status_code == 200, (
            f"{trail} -> {path}: {response.status_code} {response.text}"
        )
        root = ET.fromstring(response.data)
        assert root.tag == "Response"
        validate(root)
        self.walk(list(root), trail + f" -> {path}", turns + 1, ending=None)

    def walk(self, verbs: list[ET.Element], trail: str, turns: int, ending: str | None) -> None:
        for index, verb in enumerate(verbs):
            if verb.tag == "Gather":
                for key in MENU_KEYS:
                    self.visit(verb.get("action", ""), {"Digits": key}, trail + f" [{key}]", turns)
                continue  # silence: Twilio goes on to the next verb
            if verb.tag == "Record":
                assert [v.tag for v in verbs[index + 1 :]] == ["Say", "Hangup"], trail
                self.endings.append(("message", trail))
                return
            if verb.tag == "Dial":
                self.dial(verb, trail, turns)
                return
            if verb.tag == "Redirect":
                self.visit(verb.text or "", {}, trail + " [silence]", turns)
                return
            if verb.tag == "Hangup":
                break
        self.endings.append((ending or "silence", trail))

    def dial(self, verb: ET.Element, trail: str, turns: int) -> None:
        action = verb.get("action", "")
        number = verb.find("Number")
        if number is not None and number.get("url"):
            for status, how in BACKUP_OUTCOMES:
                self.backup(action, number.get("url", ""), status, how, trail, turns)
            return
        for status, sip, ending in PRIMARY_OUTCOMES:
            extra = {"DialCallStatus": status, **({"DialSipResponseCode": sip} if sip else {})}
            self.after_dial(action, extra, ending, trail + f" [{status} {sip or ''}]", turns)

    def backup(
        self, action: str, screen: str, status: str, how: str | None, trail: str, turns: int
    ) -> None:
        # Each branch is its own call: whether the callee accepted is remembered per call.
        parent = {**self.call, "CallSid": "CA" + secrets.token_hex(16)}
        child = {
            **parent,
            "CallSid": "CA" + secrets.token_hex(16),
            "ParentCallSid": parent["CallSid"],
        }
        if how in ("accepted", "declined"):
            path = urlsplit(screen)
            screen_root = ET.fromstring(self.twilio.post(f"{path.path}?{path.query}", child).data)
            validate(screen_root)
            gather = screen_root.find("Gather")
            assert gather is not None, "the backup callee must be asked to accept"
            result = urlsplit(gather.get("action", ""))
            digit = "1" if how == "accepted" else "7"
            self.twilio.post(f"{result.path}?{result.query}", {**child, "Digits": digit})
        ending = (
            "person" if how == "accepted" else ("caller-gone" if how == "caller-gone" else None)
        )
        extra = {"DialCallStatus": status}
        self.after_dial(action, extra, ending, trail + f" [backup {status} {how}]", turns, parent)

    def after_dial(
        self,
        action: str,
        extra: dict[str, str],
        ending: str | None,
        trail: str,
        turns: int,
        call: dict[str, str] | None = None,
    ) -> None:
        response = self.twilio.post(
            action.removeprefix(PUBLIC_URL), {**(call or self.call), **extra}
        )
        assert response.status_code == 200, trail
        root = ET.fromstring(response.data)
        validate(root)
        self.walk(list(root), trail, turns + 1, ending=ending)
