"""Reading numbers from Twilio's webhook forms, which anyone holding a signed request can replay
with any value: only plain ASCII digits count, and only up to a bound the database can store."""

from __future__ import annotations

INT4_MAX = 2**31 - 1  # the largest value of an `integer` column in PostgreSQL


def whole_number(raw: str | None, maximum: int = INT4_MAX) -> int | None:
    """The value of `raw` when it is a whole number from 0 to `maximum`, else None.

    `str.isdigit()` alone lets through characters `int()` refuses ("²") or reads (Arabic-Indic
    digits), and numbers of thousands of digits that `int()` refuses too.
    """
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if value <= maximum else None
