"""Forms of the subscriber pages, checked by the same rules as the CSV import and the API."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, SelectField, StringField, TextAreaField, ValidationError

from app.core.phone import InvalidNumber, normalise
from app.models import Subscriber
from app.subscribers.rules import (
    email_problem,
    language_problem,
    length_problem,
    nul_problem,
    timezone_problem,
)
from ivr.wording import SUPPORTED_LANGUAGES

EMAIL_SEPARATORS = re.compile(r"[;\r\n]+")
OPTIONAL_TEXT = ("name", "plan", "region", "backup_number", "timezone", "language")


def _stripped(value: str | None) -> str:
    return (value or "").strip()


def email_addresses(raw: str) -> list[str]:
    """The addresses in a box holding several, separated by `;` or new lines, without repeats."""
    return list(dict.fromkeys(a.strip() for a in EMAIL_SEPARATORS.split(raw) if a.strip()))


def _e164(raw: str) -> str:
    try:
        return normalise(raw)
    except InvalidNumber as exc:
        raise ValidationError(str(exc)) from None


def _check_text(column: str, value: str) -> None:
    if problem := nul_problem(value) or length_problem(column, value):
        raise ValidationError(problem)


class SubscriberForm(FlaskForm):
    number = StringField(
        "Number", filters=[_stripped], description="International form, like +14155550100."
    )
    emails = TextAreaField(
        "Email addresses",
        filters=[_stripped],
        description="Where voicemails go: one address per line, or separated by ;.",
    )
    name = StringField("Name", filters=[_stripped])
    plan = StringField("Plan", filters=[_stripped])
    region = StringField("Region", filters=[_stripped])
    backup_number = StringField(
        "Backup number",
        filters=[_stripped],
        description="Optional: another way to reach them, not any subscriber's number.",
    )
    timezone = StringField(
        "Time zone",
        filters=[_stripped],
        description="An IANA zone like Europe/Paris; empty for the service's default.",
    )
    language = SelectField(
        "Language",
        choices=["", *SUPPORTED_LANGUAGES],  # plain values: accepted by every WTForms 3
        filters=[_stripped],
        description="Empty for the service's default.",
        validate_choice=False,  # language_problem says what is wrong, in the API's words
    )

    def validate_number(self, field: Field) -> None:
        field.data = _e164(field.data)

    def validate_backup_number(self, field: Field) -> None:
        if field.data:
            field.data = _e164(field.data)

    def validate_emails(self, field: Field) -> None:
        addresses = email_addresses(field.data)
        if not addresses:
            raise ValidationError("an email address is required")
        problems = [p for a in addresses if (p := nul_problem(a) or email_problem(a))]
        if problems:
            raise ValidationError("; ".join(problems))

    def validate_name(self, field: Field) -> None:
        _check_text("name", field.data)

    def validate_plan(self, field: Field) -> None:
        _check_text("plan", field.data)

    def validate_region(self, field: Field) -> None:
        _check_text("region", field.data)

    def validate_timezone(self, field: Field) -> None:
        _check_text("timezone", field.data)
        if field.data and (problem := timezone_problem(field.data)):
            raise ValidationError(problem)

    def validate_language(self, field: Field) -> None:
        field.data = field.data.lower()
        if field.data and (problem := language_problem(field.data)):
            raise ValidationError(problem)

    def values(self) -> dict[str, Any]:
        """The subscriber's columns as the validated form sets them (empty clears)."""
        values: dict[str, Any] = {"number": self.number.data}
        values["emails"] = email_addresses(self.emails.data or "")
        for name in OPTIONAL_TEXT:
            values[name] = self[name].data or None
        return values


def subscriber_data(subscriber: Subscriber) -> dict[str, Any]:
    """What the edit form shows before anything is changed."""
    data = {name: getattr(subscriber, name) or "" for name in ("number", *OPTIONAL_TEXT)}
    data["emails"] = "\n".join(subscriber.emails)
    return data


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])
