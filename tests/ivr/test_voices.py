"""Every <Say> names a voice Twilio documents for its language, and the recording prompt says
what the recording's settings do (the finish key, the beep), in every language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.twiml import parse, said

DOCUMENTED_VOICES = {"en-US": "Polly.Joanna", "es-ES": "Polly.Lucia", "fr-FR": "Polly.Lea"}
LANGUAGES = {"en": "en-US", "es": "es-ES", "fr": "fr-FR"}
PATHS = ("/ivr/voice", "/ivr/record", "/ivr/after-record")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("path", PATHS)
def test_every_say_names_the_documented_voice_of_its_language(
    twilio: Any, subscriber: Any, outage: Any, language: str, path: str
) -> None:
    subscriber(number="+14155550100", language=language)
    outage()
    root = parse(twilio.post(path, twilio.call_params("+14155550100")))
    says = list(root.iter("Say"))
    assert says
    for say in says:
        assert say.get("language") == LANGUAGES[language]
        assert say.get("voice") == DOCUMENTED_VOICES[LANGUAGES[language]]


def test_a_configured_voice_replaces_the_default_for_its_language_only(
    app: Any, twilio: Any, subscriber: Any
) -> None:
    app.config.update(BACKLINE_VOICE_ES="Google.es-ES-Standard-A")
    subscriber(number="+14155550100", language="es")
    subscriber(number="+14155550101", language="fr")
    spanish = parse(twilio.post("/ivr/record", twilio.call_params("+14155550100")))
    french = parse(twilio.post("/ivr/record", twilio.call_params("+14155550101")))
    assert {say.get("voice") for say in spanish.iter("Say")} == {"Google.es-ES-Standard-A"}
    assert {say.get("voice") for say in french.iter("Say")} == {"Polly.Lea"}


def _prompt(app: Any, twilio: Any, subscriber: Any, language: str, key: str, beep: bool) -> str:
    app.config.update(BACKLINE_RECORD_FINISH_ON_KEY=key, BACKLINE_RECORD_BEEP=beep)
    subscriber(number="+14155550100", language=language)
    return said(parse(twilio.post("/ivr/record", twilio.call_params("+14155550100"))))[0]


PROMPTS = [
    # language, finish key, beep, words the prompt must contain, words it must not
    ("en", "#", True, ["after the tone", "Press the pound key or hang up"], []),
    ("en", "*", True, ["Press the star key or hang up"], ["pound"]),
    ("en", "9", False, ["Press 9 or hang up"], ["tone", "pound"]),
    ("en", "", False, ["Hang up when you are done"], ["tone", "Press", "key"]),
    ("es", "#", True, ["después del tono", "Pulse la tecla almohadilla o cuelgue"], []),
    ("es", "*", False, ["Pulse la tecla asterisco o cuelgue"], ["tono", "almohadilla"]),
    ("es", "", True, ["después del tono", "Cuelgue cuando termine"], ["Pulse"]),
    ("fr", "#", True, ["après le bip", "Appuyez sur la touche dièse ou raccrochez"], []),
    ("fr", "*", False, ["Appuyez sur la touche étoile ou raccrochez"], ["bip", "dièse"]),
    ("fr", "0", True, ["après le bip", "Appuyez sur 0 ou raccrochez"], ["dièse"]),
]


@pytest.mark.parametrize(("language", "key", "beep", "present", "absent"), PROMPTS)
def test_the_recording_prompt_follows_the_finish_key_and_the_beep(
    app: Any,
    twilio: Any,
    subscriber: Any,
    language: str,
    key: str,
    beep: bool,
    present: list[str],
    absent: list[str],
) -> None:
    prompt = _prompt(app, twilio, subscriber, language, key, beep)
    for words in present:
        assert words in prompt
    for words in absent:
        assert words not in prompt
