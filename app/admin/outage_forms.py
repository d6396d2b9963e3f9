"""The outage pages' forms: start (with its scope picker), update and the post-incident report.

Times are typed as text, `YYYY-MM-DD HH:MM` on a 24-hour clock, and read as UTC, as the CLI and
the API do. A `datetime-local` box would show the browser's own format (a 12-hour clock in many
locales) under a label that says UTC; a text box shows exactly what Backline reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.core.phone import InvalidNumber, normalise
from app.models import ACTIVE_STATES
from app.models.outage import MESSAGE_LIMIT
from app.outages.lifecycle import REPORT_MAX_CHARS, Scope

MAX_SCOPE_NUMBERS = 1000
TIME_EXAMPLE = "2026-11-22 18:30"
TIME_FORMAT = "%Y-%m-%d %H:%M"
ETR_LABEL = "Estimated time of restoration (UTC, YYYY-MM-DD HH:MM, 24-hour clock)"
NO_SCOPE = "Choose regions, plans or numbers, or tick Every subscriber."
ALL_AND_SCOPE = "Every subscriber reaches everyone: untick it, or the regions, plans and numbers."


def parse_utc(text: str) -> datetime:
    """A typed time as an aware UTC datetime: no offset means UTC; ValueError says what is wrong."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a date and time (like {TIME_EXAMPLE})") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_numbers(lines: Sequence[str], label: str = "Line") -> list[str]:
    """Normalise one number per line (blank lines skipped); the error names the bad line."""
    numbers: list[str] = []
    for index, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            numbers.append(normalise(line))
        except InvalidNumber as exc:
            raise ValueError(f"{label} {index}: {exc}") from None
    if len(numbers) > MAX_SCOPE_NUMBERS:
        raise ValueError(f"At most {MAX_SCOPE_NUMBERS} numbers, not {len(numbers)}")
    return numbers


def printable(_form: FlaskForm, field: Field) -> None:
    """Refuse NUL characters, which PostgreSQL cannot store in text (it would be a 500)."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError("Contains a NUL character.")


class UtcTimeField(Field):
    """A text box for a UTC time (`YYYY-MM-DD HH:MM`); its value is aware UTC, or None if empty."""

    widget = TextInput()
    data: datetime | None

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("placeholder", "YYYY-MM-DD HH:MM")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = parse_utc(text) if text else None  # a ValueError becomes the field's error

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.astimezone(UTC).strftime(TIME_FORMAT) if self.data else ""


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes, usable on a phone without a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _message(label: str, hint: str) -> TextAreaField:
    return TextAreaField(
        label, description=hint, validators=[Optional(), Length(max=MESSAGE_LIMIT), printable]
    )


class StartOutageForm(FlaskForm):
    """Start an outage; `seen_count` is the affected count the admin last saw (see the view).

    Everyone is an explicit choice (the `everyone` box), never an empty scope; `force` starts
    one whose scope matches no subscriber.
    """

    caller_message = _message("What callers hear", "Empty: the standard outage wording.")
    subscriber_message = _message(
        "What subscribers are told", "Empty: subscribers get the caller message."
    )
    etr = UtcTimeField(ETR_LABEL, description=f"Optional; for example {TIME_EXAMPLE}.")
    regions = CheckboxesField("Regions", choices=[])
    plans = CheckboxesField("Plans", choices=[])
    numbers = TextAreaField(
        "Subscriber numbers",
        description="One a line, international form (+14155550100).",
        validators=[Length(max=MAX_SCOPE_NUMBERS * 40)],
    )
    everyone = BooleanField("Every subscriber", description="The only way to reach everyone.")
    force = BooleanField(
        "Start it even if no subscriber matches",
        description="For a number about to be imported.",
    )
    seen_count = HiddenField()
    scope_numbers: list[str]

    def validate_everyone(self, field: BooleanField) -> None:
        chosen = self.regions.data or self.plans.data or (self.numbers.data or "").strip()
        if field.data and chosen:
            raise ValidationError(ALL_AND_SCOPE)
        if not field.data and not chosen:
            raise ValidationError(NO_SCOPE)

    def validate_etr(self, field: UtcTimeField) -> None:
        if field.data is not None and field.data <= datetime.now(UTC):
            raise ValidationError("That time has passed; an ETR must be ahead of now (UTC).")

    def validate_numbers(self, field: TextAreaField) -> None:
        try:
            self.scope_numbers = parse_numbers((field.data or "").splitlines())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def scope(self) -> Scope:
        """The scope the boxes describe (call after a successful validate)."""
        return Scope(list(self.regions.data or []), self.scope_numbers, list(self.plans.data or []))

    def messages(self) -> tuple[str | None, str | None]:
        """The caller and subscriber messages; an empty subscriber message repeats the caller's."""
        caller = (self.caller_message.data or "").strip() or None
        subscriber = (self.subscriber_message.data or "").strip() or None
        return caller, subscriber or caller


class UpdateOutageForm(FlaskForm):
    """Change an active outage; an emptied message falls back to the standard wording."""

    caller_message = _message("What callers hear", "Empty: the standard outage wording.")
    subscriber_message = _message("What subscribers are told", "Empty: the standard wording.")
    etr = UtcTimeField(ETR_LABEL, description=f"Empty: none; for example {TIME_EXAMPLE}.")
    state = SelectField("State", choices=[s.value for s in ACTIVE_STATES])

    def values(self) -> dict[str, Any]:
        """What the form says the outage should now be."""
        return {
            "caller_message": (self.caller_message.data or "").strip() or None,
            "subscriber_message": (self.subscriber_message.data or "").strip() or None,
            "etr": self.etr.data,
            "state": self.state.data,
        }


class ReportForm(FlaskForm):
    """The post-incident report of a resolved outage (plain text or Markdown)."""

    report = TextAreaField(
        "Post-incident report",
        validators=[
            DataRequired("Write the report first."),
            Length(max=REPORT_MAX_CHARS),
            printable,
        ],
    )
