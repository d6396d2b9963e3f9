"""The TwiML documents of the call flow, built with Twilio's helper library."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from twilio.twiml.voice_response import Dial, VoiceResponse

from app.models import Outage, Subscriber
from app.twilio_signature import public_url

from .wording import say, speech_language


@dataclass(frozen=True)
class Caller:
    """Who is being called and in which language they are answered."""

    subscriber: Subscriber | None
    language: str

    @property
    def greeting(self) -> str:
        if self.subscriber and self.subscriber.name:
            return say("greeting_named", self.language, name=self.subscriber.name)
        return say("greeting_unknown", self.language)


def outage_answer(caller: Caller, outage: Outage | None) -> VoiceResponse:
    """Greet, give the outage's caller message, then record a voicemail."""
    response = VoiceResponse()
    message = outage.caller_message if outage and outage.caller_message else None
    _say(response, caller, caller.greeting)
    _say(response, caller, message or say("unavailable", caller.language))
    return _append_record(response, caller)


def voicemail_answer(caller: Caller) -> VoiceResponse:
    """Straight to the recording (after a failed pass-through)."""
    response = VoiceResponse()
    _say(response, caller, caller.greeting)
    return _append_record(response, caller)


def pass_through(number: str) -> VoiceResponse | None:
    """Dial the primary platform, or None when no primary is configured."""
    config = current_app.config
    target = _primary_uri(number)
    if target is None:
        return None
    response = VoiceResponse()
    dial = Dial(
        answer_on_bridge=True,
        timeout=config["BACKLINE_DIAL_TIMEOUT"],
        action=public_url("/ivr/dial-result"),
        method="POST",
    )
    if target.startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target.removeprefix("tel:"))
    response.append(dial)
    return response


def after_record(language: str) -> VoiceResponse:
    """Thank the caller and hang up."""
    response = VoiceResponse()
    response.say(say("thanks", language), language=speech_language(language))
    response.hangup()
    return response


def hang_up() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def _primary_uri(number: str) -> str | None:
    config = current_app.config
    if config.get("PRIMARY_FORWARD_URL"):
        return str(config["PRIMARY_FORWARD_URL"]).format(number=number)
    if config.get("PRIMARY_SIP_DOMAIN"):
        return f"sip:{number}@{config['PRIMARY_SIP_DOMAIN']}"
    return None


def _say(response: VoiceResponse, caller: Caller, text: str) -> None:
    response.say(text, language=speech_language(caller.language))


def _append_record(response: VoiceResponse, caller: Caller) -> VoiceResponse:
    config = current_app.config
    _say(response, caller, say("record_prompt", caller.language))
    response.record(
        action=public_url("/ivr/after-record"),
        method="POST",
        max_length=config["BACKLINE_RECORD_MAX_LENGTH"],
        timeout=5,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=public_url("/voicemail/recording-status"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Twilio moves on to the next verb when nothing was recorded.
    _say(response, caller, say("no_message", caller.language))
    response.hangup()
    return response
