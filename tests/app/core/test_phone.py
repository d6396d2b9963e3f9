"""Numbers shown to people: the stored E.164 form taken apart directly shows as the library
shows it after parsing, for every kind of number of every region; anything else falls back to
parsing, and what is not a number shows as "Withheld"."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from app.core.phone import WITHHELD, display, normalise

KINDS = [t for name, t in vars(PhoneNumberType).items() if name.isupper() and t >= 0]


def _example_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in KINDS:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            numbers.append(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    return numbers


def _parsed_and_formatted(number: str) -> str:
    parsed = phonenumbers.parse(number, None)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def test_every_example_number_shows_as_parsing_it_would() -> None:
    numbers = _example_numbers()
    assert len(numbers) > 1000  # every region, every kind of number the library knows

    shown = {number: display(number) for number in numbers}

    assert shown == {number: _parsed_and_formatted(number) for number in numbers}


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+14155550100", "+1 415-555-0100"),
        ("+390612345678", "+39 06 1234 5678"),  # Italy keeps its leading zero
        ("+442079460000", "+44 20 7946 0000"),
        ("+80012345678", "+800 1234 5678"),  # a code of no country
    ],
)
def test_stored_numbers_show_in_international_form(stored: str, shown: str) -> None:
    assert normalise(shown) == stored
    assert display(stored) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+1 (415) 555-0100", "+1 415-555-0100"),  # not E.164: parsed
        ("", WITHHELD),
        (None, WITHHELD),
        ("anonymous", WITHHELD),
        ("Restricted", WITHHELD),
        ("sip:alice@example.com", WITHHELD),
        ("+", WITHHELD),
        ("+1", WITHHELD),  # a country code and nothing else
        ("+0123456789", WITHHELD),  # no country code starts with 0
        ("+9991234567", WITHHELD),  # no such country code
        ("+1415", WITHHELD),  # too short to be possible
        ("not a number", WITHHELD),
    ],
)
def test_anything_else_is_parsed_or_withheld(raw: str | None, shown: str) -> None:
    assert display(raw) == shown


def test_digits_of_other_scripts_are_read_by_parsing() -> None:
    arabic_indic = "+\u0661\u0664\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0660\u0660"

    assert display(arabic_indic) == "+1 415-555-0100"
