"""The TwiML documents of the call flow, built with Twilio's helper library.

Every document ends in one of three ways: a recording, a person (a <Dial>), or a spoken goodbye
and <Hangup>. The menu is shown at most MAX_MENU_VISITS times, then the caller is recorded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flask import current_app
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from app.core.phone import display
from app.core.urls import public_url
from app.resilience.snapshot_types import OutageEntry, SubscriberEntry
from ivr.etr import spoken_etr
from ivr.wording import record_prompt, say, speech_language
from voicemail.transcription import transcribes

MAX_MENU_VISITS = 3  # the first menu and at most two repeats
SCREEN_TIMEOUT_S = 8


@dataclass(frozen=True)
class Caller:
    """Who is being called, and in which language the caller is answered."""

    subscriber: SubscriberEntry | None
    language: str

    @property
    def greeting(self) -> str:
        if self.subscriber:
            name = self.subscriber.name or display(self.subscriber.number)
            return say("greeting_named", self.language, name=name)
        return say("greeting_unknown", self.language)

    @property
    def has_backup(self) -> bool:
        return bool(self.subscriber and self.subscriber.backup_number)

    def say(self, response: VoiceResponse | Gather, key: str, **values: object) -> None:
        self.say_text(response, say(key, self.language, **values))

    def say_text(self, response: VoiceResponse | Gather, text: str) -> None:
        """`text` in the caller's language, with the voice configured for it."""
        response.say(
            text, voice=speech_voice(self.language), language=speech_language(self.language)
        )


def speech_voice(language: str) -> str:
    """The Twilio voice configured for a caller language (BACKLINE_VOICE_EN, _ES, _FR)."""
    return str(current_app.config[f"BACKLINE_VOICE_{language.upper()}"])


def url(path: str, **query: object) -> str:
    """An absolute action URL under BACKLINE_PUBLIC_URL, with its query string."""
    return public_url(path) + (f"?{urlencode(query)}" if query else "")


def outage_answer(caller: Caller, outage: OutageEntry | None, now: datetime) -> str:
    """Greet by name, give the caller message and the ETR, then offer the menu.

    The TwiML text is rendered once per distinct wording and kept: in a mass outage every
    caller of a subscriber hears the same words, and building the XML cost more CPU than
    everything else this answer does.
    """
    message = outage.caller_message_in(caller.language, _default_language()) if outage else None
    etr = spoken_etr(outage.etr if outage else None, now, caller.language)
    return _outage_document(caller, message, etr, _MenuSettings.current())


@dataclass(frozen=True)
class _MenuSettings:
    """The settings an outage answer's menu is built from (part of its cache key)."""

    public_url: str
    timeout: int

    @classmethod
    def current(cls) -> _MenuSettings:
        config = current_app.config
        return cls(config["BACKLINE_PUBLIC_URL"], config["BACKLINE_MENU_TIMEOUT"])


@functools.lru_cache(maxsize=4096)
def _outage_document(
    caller: Caller, message: str | None, etr: str | None, _settings: _MenuSettings
) -> str:
    response = VoiceResponse()
    caller.say_text(response, caller.greeting)
    caller.say_text(response, message or say("unavailable", caller.language))
    if etr:
        caller.say_text(response, etr)
    return str(_append_menu(response, caller, visit=0))


def menu(caller: Caller, visit: int, before: str | None = None) -> VoiceResponse:
    """The menu again (after an update or a wrong key), or the recording once it was offered enough."""
    response = VoiceResponse()
    if before:
        caller.say_text(response, before)
    if visit >= MAX_MENU_VISITS:
        return _append_record(response, caller)
    return _append_menu(response, caller, visit)


def status_update(
    caller: Caller, outage: OutageEntry | None, visit: int, now: datetime
) -> VoiceResponse:
    """The latest on the outage: its state, its message and its ETR; then the menu."""
    parts = []
    if outage:
        parts.append(say(f"state_{outage.state}", caller.language))
        message = outage.caller_message_in(caller.language, _default_language())
        if message:
            parts.append(message)
        parts.append(spoken_etr(outage.etr, now, caller.language) or "")
    text = " ".join(p for p in parts if p) or say("unavailable", caller.language)
    return menu(caller, visit, before=text)


def record(caller: Caller, before: str | None = None) -> VoiceResponse:
    """Take a voicemail (optionally after a sentence such as "not available")."""
    response = VoiceResponse()
    if before:
        caller.say_text(response, before)
    return _append_record(response, caller)


def voicemail_answer(caller: Caller) -> VoiceResponse:
    """Greet by name, then straight to the recording."""
    return record(caller, before=caller.greeting)


def dial_primary(number: str) -> VoiceResponse | None:
    """Pass the call through to the primary platform, or None when none is configured."""
    target = _primary_uri(number)
    if target is None:
        return None
    response = VoiceResponse()
    dial = _dial(url("/ivr/dial-result"))
    if target.startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target.removeprefix("tel:"))
    response.append(dial)
    return response


def dial_backup(caller: Caller) -> VoiceResponse:
    """Connect to the backup number (never read aloud), screened so voicemail cannot answer."""
    assert caller.subscriber and caller.subscriber.backup_number
    response = VoiceResponse()
    caller.say(response, "connecting")
    dial = _dial(url("/ivr/backup-result"))
    screen = url("/ivr/screen", number=caller.subscriber.number, language=caller.language)
    dial.number(caller.subscriber.backup_number, url=screen, method="POST")
    response.append(dial)
    return response


def screen(callee: Caller, number: str) -> VoiceResponse:
    """What the backup callee hears before the caller is put through: press 1 to accept."""
    response = VoiceResponse()
    name = callee.subscriber.name if callee.subscriber and callee.subscriber.name else number
    action = url("/ivr/screen-result", number=number, language=callee.language)
    gather = Gather(num_digits=1, timeout=SCREEN_TIMEOUT_S, action=action, method="POST")
    callee.say(gather, "screen_prompt", name=name)
    response.append(gather)
    callee.say(response, "screen_declined")  # a voicemail answering, or nobody pressing 1
    response.hangup()
    return response


def declined(callee: Caller) -> VoiceResponse:
    """The backup callee pressed another key: tell them, hang up their leg."""
    response = VoiceResponse()
    callee.say(response, "screen_declined")
    response.hangup()
    return response


def after_record(caller: Caller) -> VoiceResponse:
    """Thank the caller and hang up."""
    response = VoiceResponse()
    caller.say(response, "thanks")
    response.hangup()
    return response


def hang_up() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def empty() -> VoiceResponse:
    """Nothing more to do on this leg (an accepted screen: Twilio bridges the call)."""
    return VoiceResponse()


def _append_menu(response: VoiceResponse, caller: Caller, visit: int) -> VoiceResponse:
    timeout = current_app.config["BACKLINE_MENU_TIMEOUT"]
    gather = Gather(
        num_digits=1, timeout=timeout, action=url("/ivr/menu", visit=visit), method="POST"
    )
    caller.say(gather, "menu_message")
    if caller.has_backup:
        caller.say(gather, "menu_backup")
    caller.say(gather, "menu_update")
    response.append(gather)
    response.redirect(url("/ivr/record"), method="POST")  # no key pressed: leave a message
    return response


def _append_record(response: VoiceResponse, caller: Caller) -> VoiceResponse:
    config = current_app.config
    caller.say_text(
        response,
        record_prompt(
            caller.language,
            config["BACKLINE_RECORD_FINISH_ON_KEY"],
            config["BACKLINE_RECORD_BEEP"],
        ),
    )
    transcription = (
        {"transcribe": True, "transcribe_callback": url("/voicemail/transcription")}
        if transcribes(caller.language)
        else {}
    )
    response.record(
        action=url("/ivr/after-record"),
        method="POST",
        max_length=config["BACKLINE_RECORD_MAX_LENGTH"],
        timeout=config["BACKLINE_RECORD_SILENCE_TIMEOUT"],
        finish_on_key=config["BACKLINE_RECORD_FINISH_ON_KEY"],
        play_beep=config["BACKLINE_RECORD_BEEP"],
        recording_status_callback=url("/voicemail/recording-status"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
        **transcription,
    )
    # Twilio moves on to the next verb when nothing was recorded.
    caller.say(response, "no_message")
    response.hangup()
    return response


def _dial(action: str) -> Dial:
    return Dial(
        answer_on_bridge=True,
        timeout=current_app.config["BACKLINE_DIAL_TIMEOUT"],
        action=action,
        method="POST",
    )


def _primary_uri(number: str) -> str | None:
    config = current_app.config
    if config.get("PRIMARY_FORWARD_URL"):
        return str(config["PRIMARY_FORWARD_URL"]).format(number=number)
    if config.get("PRIMARY_SIP_DOMAIN"):
        return f"sip:{number}@{config['PRIMARY_SIP_DOMAIN']}"
    return None


def _default_language() -> str:
    return str(current_app.config["BACKLINE_DEFAULT_LANGUAGE"])
