"""Everything a caller (or a screened callee) hears, in one place, per language.

Each entry is a format string; `say(key, language, **values)` picks the language and falls back
to English for a key a language does not have yet. Callers are never told whose platform failed:
that is for the outage's caller message to say, if the admins want it said.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# Twilio <Say language="..."> codes for the languages callers may hear.
SPEECH_LANGUAGE = {"en": "en-US", "es": "es-ES", "fr": "fr-FR"}

WORDING: dict[str, dict[str, str]] = {
    "en": {
        "greeting_named": "You have reached {name}.",
        "greeting_unknown": "Thank you for calling.",
        "unavailable": "We cannot take your call right now because of a temporary service problem.",
        "not_available": "The person you are calling cannot take your call right now.",
        "etr": "Service should be back {when}.",
        "etr_soon": "in a few minutes",
        "etr_minutes": "in about {n} minutes",
        "etr_hour": "in about one hour",
        "etr_hours": "in about {n} hours",
        "etr_day": "in about one day",
        "etr_days": "in about {n} days",
        "menu_message": "To leave a message, press 1.",
        "menu_backup": "To be connected to another number where you can reach them, press 2.",
        "menu_update": "To hear the latest update, press 3.",
        "invalid": "Sorry, that is not one of the choices.",
        "state_investigating": "The problem is being investigated.",
        "state_identified": "The cause has been found and is being fixed.",
        "state_monitoring": "A fix is in place and is being checked.",
        "connecting": "Connecting you now. Please stay on the line.",
        "backup_failed": "We could not connect you.",
        # The recording prompt is put together from the recording's settings (ivr/twiml.py).
        "record_start_tone": "Please leave a message after the tone.",
        "record_start_now": "Please leave a message now.",
        "record_delivery": "It will be recorded and delivered by email within minutes.",
        "record_end_key": "Press {finish} or hang up when you are done.",
        "record_end_hang_up": "Hang up when you are done.",
        "key_#": "the pound key",
        "key_*": "the star key",
        "thanks": "Thank you. Your message has been recorded and will be delivered by email. Goodbye.",
        "no_message": "We did not receive a message. Goodbye.",
        "screen_prompt": (
            "This is a call for {name}, passed on because their usual line has a service problem. "
            "To accept the call, press 1."
        ),
        "screen_declined": "The call was not accepted. Goodbye.",
    },
    "es": {
        "greeting_named": "Ha llamado a {name}.",
        "greeting_unknown": "Gracias por su llamada.",
        "unavailable": (
            "No podemos atender su llamada en este momento debido a un problema temporal del servicio."
        ),
        "not_available": "La persona a la que llama no puede atender su llamada en este momento.",
        "etr": "El servicio debería volver {when}.",
        "etr_soon": "en unos minutos",
        "etr_minutes": "en unos {n} minutos",
        "etr_hour": "en aproximadamente una hora",
        "etr_hours": "en aproximadamente {n} horas",
        "etr_day": "en aproximadamente un día",
        "etr_days": "en aproximadamente {n} días",
        "menu_message": "Para dejar un mensaje, pulse 1.",
        "menu_backup": "Para que le pongamos en contacto con otro número donde localizarle, pulse 2.",
        "menu_update": "Para escuchar la última actualización, pulse 3.",
        "invalid": "Lo sentimos, esa no es una de las opciones.",
        "state_investigating": "Estamos investigando el problema.",
        "state_identified": "Hemos encontrado la causa y la estamos corrigiendo.",
        "state_monitoring": "Se ha aplicado una solución y la estamos comprobando.",
        "connecting": "Le ponemos en contacto. No cuelgue, por favor.",
        "backup_failed": "No hemos podido ponerle en contacto.",
        "record_start_tone": "Deje su mensaje después del tono.",
        "record_start_now": "Deje su mensaje ahora.",
        "record_delivery": "Se grabará y se entregará por correo electrónico en pocos minutos.",
        "record_end_key": "Pulse {finish} o cuelgue cuando termine.",
        "record_end_hang_up": "Cuelgue cuando termine.",
        "key_#": "la tecla almohadilla",
        "key_*": "la tecla asterisco",
        "thanks": "Gracias. Su mensaje se ha grabado y se entregará por correo electrónico. Adiós.",
        "no_message": "No hemos recibido ningún mensaje. Adiós.",
        "screen_prompt": (
            "Esta es una llamada para {name}, desviada porque su línea habitual tiene un problema "
            "de servicio. Para aceptar la llamada, pulse 1."
        ),
        "screen_declined": "La llamada no ha sido aceptada. Adiós.",
    },
    "fr": {
        "greeting_named": "Vous êtes bien chez {name}.",
        "greeting_unknown": "Merci de votre appel.",
        "unavailable": (
            "Nous ne pouvons pas prendre votre appel pour le moment en raison d'un problème "
            "temporaire de service."
        ),
        "not_available": "Votre correspondant ne peut pas prendre votre appel pour le moment.",
        "etr": "Le service devrait être rétabli {when}.",
        "etr_soon": "d'ici quelques minutes",
        "etr_minutes": "dans environ {n} minutes",
        "etr_hour": "dans environ une heure",
        "etr_hours": "dans environ {n} heures",
        "etr_day": "dans environ un jour",
        "etr_days": "dans environ {n} jours",
        "menu_message": "Pour laisser un message, appuyez sur 1.",
        "menu_backup": "Pour être mis en relation avec un autre numéro où le joindre, appuyez sur 2.",
        "menu_update": "Pour entendre la dernière information, appuyez sur 3.",
        "invalid": "Désolé, ce choix n'est pas proposé.",
        "state_investigating": "Le problème est en cours d'analyse.",
        "state_identified": "La cause a été trouvée et la réparation est en cours.",
        "state_monitoring": "Une correction est en place et en cours de vérification.",
        "connecting": "Nous vous mettons en relation. Merci de rester en ligne.",
        "backup_failed": "Nous n'avons pas pu vous mettre en relation.",
        "record_start_tone": "Laissez votre message après le bip.",
        "record_start_now": "Laissez votre message maintenant.",
        "record_delivery": "Il sera enregistré et transmis par e-mail dans quelques minutes.",
        "record_end_key": "Appuyez sur {finish} ou raccrochez quand vous avez terminé.",
        "record_end_hang_up": "Raccrochez quand vous avez terminé.",
        "key_#": "la touche dièse",
        "key_*": "la touche étoile",
        "thanks": "Merci. Votre message a été enregistré et sera transmis par e-mail. Au revoir.",
        "no_message": "Nous n'avons reçu aucun message. Au revoir.",
        "screen_prompt": (
            "Ceci est un appel pour {name}, transféré car sa ligne habituelle a un problème de "
            "service. Pour accepter l'appel, appuyez sur 1."
        ),
        "screen_declined": "L'appel n'a pas été accepté. Au revoir.",
    },
}

SUPPORTED_LANGUAGES = tuple(WORDING)


def say(key: str, language: str | None = None, **values: object) -> str:
    """The wording for `key` in `language` (English when missing), with values filled in."""
    table = WORDING.get(language or DEFAULT_LANGUAGE, WORDING[DEFAULT_LANGUAGE])
    template = table.get(key) or WORDING[DEFAULT_LANGUAGE][key]
    return template.format(**values)


def record_prompt(language: str | None, finish_on_key: str, beep: bool) -> str:
    """What a caller hears before recording: the tone only if there is one, and the key that
    ends the recording only if one does (the first of `finish_on_key`; a digit is said as is)."""
    start = say("record_start_tone" if beep else "record_start_now", language)
    key = finish_on_key[:1]
    if key:
        spoken = say(f"key_{key}", language) if key in "#*" else key
        end = say("record_end_key", language, finish=spoken)
    else:
        end = say("record_end_hang_up", language)
    return " ".join((start, say("record_delivery", language), end))


def speech_language(language: str | None) -> str:
    """The Twilio speech language for a subscriber's language code."""
    return SPEECH_LANGUAGE.get(language or DEFAULT_LANGUAGE, SPEECH_LANGUAGE[DEFAULT_LANGUAGE])
