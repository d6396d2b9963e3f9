"""Phone numbers: normalising to E.164 and showing them without giving them away."""

from __future__ import annotations

import functools

import phonenumbers

WITHHELD = "Withheld"
_WITHHELD_VALUES = {"", "anonymous", "restricted", "private", "unknown", "unavailable"}


class InvalidNumber(ValueError):
    """A value that is not a dialable phone number."""


def normalise(raw: str, region: str | None = None) -> str:
    """Return the number in E.164, or raise InvalidNumber with a sentence saying why."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("a phone number is required")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(
            f"{text!r} is not a phone number (use the international form, like +14155550100)"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=16384)
def normalise_or_none(raw: str | None) -> str | None:
    """E.164 for a dialable number, None for anything else (withheld, SIP URIs, junk).

    Kept per input: every webhook of a call normalises the same `To`, and parsing costs more
    than the rest of finding the subscriber."""
    try:
        return normalise(raw or "")
    except InvalidNumber:
        return None


def display(raw: str | None) -> str:
    """A caller number for people to read: international format, or "Withheld"."""
    if not raw or raw.strip().lower() in _WITHHELD_VALUES or raw.startswith("sip:"):
        return WITHHELD
    try:
        parsed = _stored(raw) or phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return WITHHELD
    if not phonenumbers.is_possible_number(parsed):
        return WITHHELD
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _stored(raw: str) -> phonenumbers.PhoneNumber | None:
    """A number in the E.164 form Backline stores, taken apart without parsing it again.

    E.164 is "+", the country code (no code is the start of another) and the national number,
    so this is the number `normalise` formatted, leading zeros (as in Italy) included; parsing
    it again cost twice formatting it, for every number of every notice. None for other input.
    """
    digits = raw[1:]
    if not (raw.startswith("+") and digits.isascii() and digits.isdigit()):
        return None
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[length:]
    if not national:
        return None
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    zeros = min(len(national) - len(national.lstrip("0")), len(national) - 1)
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return number


def last_four(raw: str | None) -> str | None:
    """What logs may show of a number: its last four digits."""
    digits = "".join(ch for ch in raw or "" if ch.isdigit())
    return f"…{digits[-4:]}" if digits else None
