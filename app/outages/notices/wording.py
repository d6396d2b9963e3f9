"""What notices say that is not in their templates, per language: subjects, the default
subscriber message, the provider's name, and the names of days and months.

Notices go out in the subscriber's language when it is one of NOTICE_LANGUAGES (the languages
the IVR speaks, ivr.wording.SUPPORTED_LANGUAGES; a test keeps the two equal), else in
BACKLINE_DEFAULT_LANGUAGE, else English. The templates for each are in templates/LANGUAGE/.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.models import NoticeKind

NOTICE_LANGUAGES = ("en", "es", "fr")
FALLBACK_LANGUAGE = "en"

SUBJECTS: dict[str, dict[str, str]] = {
    "en": {
        NoticeKind.START: "Service disruption: calls to your number reach our outage line",
        NoticeKind.UPDATE: "Update on the service disruption affecting your phone line",
        NoticeKind.RESOLVE: "Resolved: your phone service is back (calls you received meanwhile)",
        NoticeKind.REPORT: "What happened: our report on the recent service disruption",
        # A resolve notice to numbers another outage still covers: it must not say service is back.
        "partly": "Update: one disruption is over; another still affects your phone line",
    },
    "es": {
        NoticeKind.START: "Interrupción del servicio: las llamadas a su número llegan a nuestra línea de incidencias",
        NoticeKind.UPDATE: "Novedades sobre la interrupción que afecta a su línea telefónica",
        NoticeKind.RESOLVE: "Resuelto: su servicio telefónico funciona de nuevo (llamadas recibidas mientras tanto)",
        NoticeKind.REPORT: "Qué ocurrió: nuestro informe sobre la reciente interrupción del servicio",
        "partly": "Novedades: una interrupción ha terminado; otra sigue afectando a su línea telefónica",
    },
    "fr": {
        NoticeKind.START: "Interruption de service : les appels vers votre numéro arrivent sur notre ligne d'incident",
        NoticeKind.UPDATE: "Point sur l'interruption de service qui touche votre ligne téléphonique",
        NoticeKind.RESOLVE: "Résolu : votre service téléphonique fonctionne à nouveau (appels reçus entre-temps)",
        NoticeKind.REPORT: "Ce qui s'est passé : notre rapport sur la récente interruption de service",
        "partly": "Point : une interruption est terminée ; une autre touche encore votre ligne téléphonique",
    },
}

# Said to a subscriber when the outage has no subscriber message of its own. Never the
# caller's wording ("your message will reach us by email" is for callers, not subscribers).
DEFAULT_MESSAGE = {
    "en": "Our engineers are working to restore service.",
    "es": "Nuestros técnicos están trabajando para restablecer el servicio.",
    "fr": "Nos techniciens travaillent au rétablissement du service.",
}

# Who the notice is from, when BACKLINE_PROVIDER_NAME is not set.
UNNAMED_PROVIDER = {
    "en": "your phone provider",
    "es": "su operador telefónico",
    "fr": "votre opérateur téléphonique",
}

DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ),
}  # fmt: skip


def notice_language(language: str | None) -> str:
    """The language a notice to this reader is written in."""
    for candidate in (language, current_app.config["BACKLINE_DEFAULT_LANGUAGE"]):
        if candidate and candidate.lower() in NOTICE_LANGUAGES:
            return candidate.lower()
    return FALLBACK_LANGUAGE


def subject_line(kind: str, all_back: bool, language: str, provider: str | None) -> str:
    """The subject, prefixed with the provider's name when it is set."""
    words = SUBJECTS[language]
    line = words["partly"] if kind == NoticeKind.RESOLVE and not all_back else words[kind]
    return f"{provider}: {line}" if provider else line


def provider_name(language: str) -> str:
    """BACKLINE_PROVIDER_NAME, or a phrase that stands in for it in this language."""
    return current_app.config.get("BACKLINE_PROVIDER_NAME") or UNNAMED_PROVIDER[language]


def written_time(at: datetime, language: str) -> str:
    """A time as notices write it in this language, with its zone's abbreviation."""
    day, month = DAYS[language][at.weekday()], MONTHS[language][at.month - 1]
    if language == FALLBACK_LANGUAGE:
        return f"{day} {at:%d} {month} {at:%Y, %H:%M %Z}"
    return f"{day} {at.day} {month} {at:%Y, %H:%M %Z}"
