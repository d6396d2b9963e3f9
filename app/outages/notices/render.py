"""Notice emails rendered once per variant, not once per message.

Most readers of a notice are told the same thing: a start notice to 100,000 subscribers says
the same words to everyone who reads the same language in the same time zone, one number or
several. So a batch renders the templates once per variant, with markers where the personal
parts go (the numbers it concerns and the two signed links), and each message only fills them
in, encodes its two bodies and sets its own headers (To, Date, Message-ID, List-Unsubscribe).
A message whose facts differ (a resolve notice's summary, outages that still cover some of its
numbers) is a variant of its own: it is rendered whole, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import escape

from app.core.mime import BodyTemplate
from app.models import MessageRow, Notice
from app.outages.notices.facts import BatchFacts
from app.outages.notices.format import reader_zone
from app.outages.notices.values import PERSONAL, notice_values, reader_values
from app.outages.notices.wording import notice_language, subject_line

# Where the personal values go in a rendered variant: NUL never occurs in template text, and
# autoescaping leaves it alone.
MARKERS = {name: f"\x00{name}\x00" for name in ("concerns", "status_url", "unsubscribe_url")}

templates = Environment(
    loader=PackageLoader("app.outages.notices", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, values: dict[str, Any]) -> str:
    """One template (notice.txt, notice.html, notice.sms.txt) in the values' language."""
    return templates.get_template(f"{values['language']}/{name}").render(values)


def subject(values: dict[str, Any]) -> str:
    """The subject: a resolve notice says service is back only if it is, for every number."""
    return subject_line(values["kind"], values["all_back"], values["language"], _named(values))


def _named(values: dict[str, Any]) -> str | None:
    return values["provider"] if values["named"] else None


class EmailRenderer:
    """Renders the emails of one notice's batch, each variant once."""

    def __init__(self, notice: Notice, facts: BatchFacts) -> None:
        self.notice, self.facts = notice, facts
        self._shared: dict[tuple[str, str], dict[str, Any]] = {}
        self._variants: dict[tuple[str, str, str], Variant] = {}

    def parts(self, message: MessageRow) -> tuple[str, str, str, dict[str, Any]]:
        """Subject, plain text and HTML (both quoted-printable) of one message, and the values
        they were made from."""
        language = notice_language(message.language)
        zone = reader_zone(message.timezone)
        shared = self._shared_values(language, zone)
        reader = reader_values(self.notice, message, self.facts)
        values = {**shared, **reader}
        key = (language, zone.key, repr([(k, v) for k, v in reader.items() if k not in PERSONAL]))
        variant = self._variants.get(key)
        if variant is None:
            variant = self._variants[key] = Variant.of(values)
        html_values = {name: str(escape(values[name])) for name in MARKERS}
        return variant.title, variant.text.fill(values), variant.html.fill(html_values), values

    def _shared_values(self, language: str, zone: ZoneInfo) -> dict[str, Any]:
        shared = self._shared.get((language, zone.key))
        if shared is None:
            shared = self._shared[(language, zone.key)] = notice_values(self.notice, language, zone)
        return shared


@dataclass(frozen=True)
class Variant:
    """What a notice says to every reader alike: the subject, and both bodies with markers
    where each reader's own values go."""

    title: str
    text: BodyTemplate
    html: BodyTemplate

    @classmethod
    def of(cls, values: dict[str, Any]) -> Variant:
        marked = {**values, **MARKERS}
        return cls(
            subject(values),
            BodyTemplate(render("notice.txt", marked), MARKERS),
            BodyTemplate(render("notice.html", marked), MARKERS),
        )
