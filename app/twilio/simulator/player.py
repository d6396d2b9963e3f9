"""A caller walking Backline's TwiML: hears <Say>, presses digits, speaks into <Record>."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.twilio.simulator.audio import make_wav
from app.twilio.simulator.media_server import MediaState, Recording
from app.twilio.simulator.recordings_api import TWILIO_TIME
from app.twilio.simulator.signed_client import SignedClient

MAX_STEPS = 20  # a call flow that takes more turns than this is looping


class FlowError(RuntimeError):
    """Backline answered something a Twilio call could not follow."""


@dataclass
class CallOutcome:
    heard: list[str] = field(default_factory=list)
    recording_sid: str | None = None
    ended_by: str = "hangup"


@dataclass
class CallPlayer:
    client: SignedClient
    media: MediaState
    params: dict[str, str]
    digits: list[str] = field(default_factory=list)
    speak_seconds: float = 5.0
    echo: Callable[[str], None] = print
    dial_status: str = "no-answer"
    outcome: CallOutcome = field(default_factory=CallOutcome)
    # Status callbacks are sent after the next webhook, as Twilio sends them after the action.
    _callbacks: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def run(self, voice_url: str) -> CallOutcome:
        """Place the call and follow Backline's answers until it hangs up."""
        url: str | None = voice_url
        extra: dict[str, str] = {"CallStatus": "ringing"}
        for _ in range(MAX_STEPS):
            if url is None:
                self._send_callbacks()
                return self.outcome
            url, extra = self._turn(url, extra)
        raise FlowError(f"the call flow did not end after {MAX_STEPS} turns")

    def _turn(self, url: str, extra: dict[str, str]) -> tuple[str | None, dict[str, str]]:
        response = self.client.post(url, {**self.params, **extra})
        if response.status_code != 200:
            raise FlowError(f"{url} answered {response.status_code}: {response.text[:200]}")
        self._send_callbacks()
        root = ET.fromstring(response.content)
        if root.tag != "Response":
            raise FlowError(f"{url} answered <{root.tag}>, not a TwiML <Response>")
        for verb in root:
            handled = self._verb(verb)
            if handled is not None:
                return handled
        return None, {}

    def _verb(self, verb: ET.Element) -> tuple[str | None, dict[str, str]] | None:
        if verb.tag == "Say":
            self._hear(verb.text or "")
        elif verb.tag == "Pause":
            self.echo(f"  (pause {verb.get('length', '1')} s)")
        elif verb.tag == "Gather":
            return self._gather(verb)
        elif verb.tag == "Record":
            return self._record(verb)
        elif verb.tag == "Dial":
            return self._dial(verb)
        elif verb.tag == "Redirect":
            return (verb.text or "").strip(), {}
        elif verb.tag in ("Hangup", "Reject"):
            self.outcome.ended_by = verb.tag.lower()
            return None, {}
        else:
            raise FlowError(f"unexpected TwiML verb <{verb.tag}>")
        return None

    def _hear(self, text: str) -> None:
        self.outcome.heard.append(text)
        self.echo(f'  Caller hears: "{text}"')

    def _gather(self, verb: ET.Element) -> tuple[str | None, dict[str, str]] | None:
        for child in verb:
            if child.tag == "Say":
                self._hear(child.text or "")
        if not self.digits:
            self.echo("  Caller presses nothing.")
            return None  # Twilio moves on to the verb after <Gather>
        digit = self.digits.pop(0)
        self.echo(f"  Caller presses {digit}.")
        return verb.get("action", ""), {"Digits": digit}

    def _record(self, verb: ET.Element) -> tuple[str | None, dict[str, str]]:
        recording_sid = "RE" + secrets.token_hex(16)
        seconds = self.speak_seconds
        self.media.recordings[recording_sid] = Recording(make_wav(seconds))
        self.outcome.recording_sid = recording_sid
        self.echo(f"  (beep) Caller speaks for {seconds:g} s and hangs up.")
        recording = {
            "RecordingSid": recording_sid,
            "RecordingStartTime": datetime.now(UTC).strftime(TWILIO_TIME),
            "RecordingDuration": str(round(seconds)),
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/"
            f"{self.params['AccountSid']}/Recordings/{recording_sid}",
        }
        callback = verb.get("recordingStatusCallback")
        if callback:
            status = {
                **self.params,
                **recording,
                "RecordingStatus": "completed",
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
            }
            self._callbacks.append((callback, status))
        return verb.get("action", ""), {**recording, "Digits": "hangup", "CallStatus": "completed"}

    def _send_callbacks(self) -> None:
        while self._callbacks:
            url, params = self._callbacks.pop(0)
            answer = self.client.post(url, params)
            if answer.status_code >= 300:
                raise FlowError(f"{url} answered {answer.status_code}: {answer.text[:200]}")

    def _dial(self, verb: ET.Element) -> tuple[str | None, dict[str, str]]:
        targets = [(child.text or "").strip() for child in verb] or [(verb.text or "").strip()]
        self.echo(f"  Twilio dials {', '.join(targets)}: {self.dial_status}.")
        action = verb.get("action")
        if not action:
            return None, {}
        return action, {"DialCallStatus": self.dial_status}
