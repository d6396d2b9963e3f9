"""Everything a caller hears, in one place, per language.

Each entry is a format string; `say(key, language, **values)` picks the caller's language and
falls back to English for a language or key that has no wording yet.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# Twilio <Say language="..."> codes for the languages callers may hear.
SPEECH_LANGUAGE = {"en": "en-US", "es": "es-ES", "fr": "fr-FR"}

WORDING: dict[str, dict[str, str]] = {
    "en": {
        "greeting_named": "You have reached {name}.",
        "greeting_unknown": "Thank you for calling.",
        "unavailable": (
            "We cannot take your call right now because of a temporary service problem."
        ),
        "record_prompt": (
            "Please leave a message after the tone. It will be recorded and delivered by email "
            "within minutes. Press the pound key or hang up when you are done."
        ),
        "thanks": "Thank you. Your message has been recorded and will be delivered by email. Goodbye.",
        "no_message": "We did not receive a message. Goodbye.",
    },
    "es": {
        "greeting_named": "Ha llamado a {name}.",
        "greeting_unknown": "Gracias por su llamada.",
        "unavailable": (
            "No podemos atender su llamada en este momento debido a un problema temporal del servicio."
        ),
        "record_prompt": (
            "Deje su mensaje después del tono. Se grabará y se entregará por correo electrónico "
            "en pocos minutos. Pulse la tecla almohadilla o cuelgue cuando termine."
        ),
        "thanks": "Gracias. Su mensaje se ha grabado y se entregará por correo electrónico. Adiós.",
        "no_message": "No hemos recibido ningún mensaje. Adiós.",
    },
    "fr": {
        "greeting_named": "Vous êtes bien chez {name}.",
        "greeting_unknown": "Merci de votre appel.",
        "unavailable": (
            "Nous ne pouvons pas prendre votre appel pour le moment en raison d'un problème "
            "temporaire de service."
        ),
        "record_prompt": (
            "Laissez votre message après le bip. Il sera enregistré et transmis par e-mail "
            "dans quelques minutes. Appuyez sur la touche dièse ou raccrochez quand vous avez terminé."
        ),
        "thanks": "Merci. Votre message a été enregistré et sera transmis par e-mail. Au revoir.",
        "no_message": "Nous n'avons reçu aucun message. Au revoir.",
    },
}

SUPPORTED_LANGUAGES = tuple(WORDING)


def say(key: str, language: str | None = None, **values: str) -> str:
    """The wording for `key` in `language` (English when missing), with values filled in."""
    table = WORDING.get(language or DEFAULT_LANGUAGE, WORDING[DEFAULT_LANGUAGE])
    template = table.get(key) or WORDING[DEFAULT_LANGUAGE][key]
    return template.format(**values)


def speech_language(language: str | None) -> str:
    """The Twilio speech language for a subscriber's language code."""
    return SPEECH_LANGUAGE.get(language or DEFAULT_LANGUAGE, SPEECH_LANGUAGE[DEFAULT_LANGUAGE])
