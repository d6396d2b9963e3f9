"""`backline subscribers import` refuses a bad file whole, naming each bad row's line and column."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.subscribers_csv_helpers import (
    HEADER,
    assert_failed_cleanly,
    count_subscribers,
    fresh,
)
from tests.conftest import Invoke

# Already in the database before each bad-file import.
EXISTING = "+14155550100"


# Good rows: a new subscriber and an update of the existing one. Most bad rows follow them.
RIVERA = "+12125550142,Rivera Law,front-desk@rivera.example,premium,us-east,,America/New_York,es"


UPDATE = f"{EXISTING},After,after@acme.example,premium,us-west,,,"


def rows(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


# (content, the error's start, text the same error line must also hold)
BAD_FILES = {
    "bad number": (
        rows(RIVERA, UPDATE, "+1 415 555 01,Acme,office@acme.example,,,,,"),
        "line 4, column 1 (number):",
        "'+1 415 555 01'",
    ),
    "national number without a country": (
        rows(RIVERA, UPDATE, "(415) 555-0100,Acme,office@acme.example,,,,,"),
        "line 4, column 1 (number):",
        "(415) 555-0100",
    ),
    "missing number": (
        rows(RIVERA, UPDATE, ",Acme,office@acme.example,,,,,"),
        "line 4, column 1 (number):",
        "required",
    ),
    "missing email": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,,,,,,"),
        "line 4, column 3 (email):",
        "required",
    ),
    "blank addresses only": (
        rows(RIVERA, UPDATE, "+14155550177,Acme, ; ;,,,,,"),
        "line 4, column 3 (email):",
        "required",
    ),
    "bad email in a list": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example;not-an-address,,,,,"),
        "line 4, column 3 (email):",
        "'not-an-address'",
    ),
    "unknown timezone": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,,Mars/Olympus_Mons,"),
        "line 4, column 7 (timezone):",
        "'Mars/Olympus_Mons'",
    ),
    "unsupported language": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,,,tlh"),
        "line 4, column 8 (language):",
        "'tlh'",
    ),
    "too few fields": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,,"),
        "line 4, column 8:",
        "found 7",
    ),
    "too many fields": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,,,,"),
        "line 4, column 9:",
        "found 9",
    ),
    "bad backup number": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,12,,"),
        "line 4, column 6 (backup_number):",
        "'12'",
    ),
    "backup is the row's own number": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,+1 415 555 0177,,"),
        "line 4, column 6 (backup_number):",
        "+14155550177",
    ),
    "backup is another number in the file": (
        rows(RIVERA, UPDATE, "+14155550177,Acme,office@acme.example,,,+1 212-555-0142,,"),
        "line 4, column 6 (backup_number):",
        "+12125550142",
    ),
    "backup is a subscriber's number in the database": (
        rows(RIVERA, UPDATE, f"+14155550177,Acme,office@acme.example,,,{EXISTING},,"),
        "line 4, column 6 (backup_number):",
        EXISTING,
    ),
    "number repeated in the file": (
        rows(RIVERA, UPDATE, "+1 212 555 0142,Rivera again,again@rivera.example,,,,,"),
        "line 4, column 1 (number):",
        "line 2",
    ),
    "bad row first, good rows after": (
        rows("+14155550177,Acme,office@acme.example,,,,Nowhere/Else,", RIVERA, UPDATE),
        "line 2, column 7 (timezone):",
        "'Nowhere/Else'",
    ),
    "lines counted as in the file (quoted newline, blank line)": (
        HEADER + '\n+12125550142,"Rivera\nLaw",a@rivera.example,,,,,\n\n'
        "+14155550177,Acme,office@acme.example,,,,,klingon\n",
        "line 5, column 8 (language):",
        "'klingon'",
    ),
    "columns counted from the file's header": (
        "email,number\noffice@acme.example,+14155550177\nowner@acme.example,not a number\n",
        "line 3, column 2 (number):",
        "'not a number'",
    ),
    "with a BOM": (
        "\ufeff" + rows(UPDATE, "+14155550177,Acme,office@acme.example,,,,,tlh"),
        "line 3, column 8 (language):",
        "'tlh'",
    ),
    "unknown column in the header": (
        "number,name,email,fax\n+14155550177,Acme,office@acme.example,+14155550178\n",
        "line 1, column 4:",
        "'fax'",
    ),
    "missing required column": (
        "number,name\n+14155550177,Acme\n",
        "line 1",
        "'email'",
    ),
    "column given twice": (
        "number,email,email\n+14155550177,a@acme.example,b@acme.example\n",
        "line 1",
        "'email'",
    ),
    "empty file": ("", "line 1", "empty"),
    "a BOM and nothing else": ("\ufeff", "line 1", "empty"),
}


@pytest.mark.parametrize(("content", "where", "what"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_row_is_reported_and_nothing_is_imported(
    cli: Invoke, write_csv: Any, subscriber: Any, content: str, where: str, what: str
) -> None:
    subscriber(number=EXISTING, name="Before", emails=["before@acme.example"])
    path = write_csv(content)

    result = cli("subscribers", "import", str(path))

    assert_failed_cleanly(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith(where)]
    assert errors, f"no error starting {where!r} in:\n{result.stderr}"
    assert any(what in line for line in errors), result.stderr
    assert "nothing was imported" in result.stderr
    assert result.stdout == ""
    assert count_subscribers() == 1
    existing = fresh(EXISTING)
    assert existing is not None
    assert (existing.name, existing.emails) == ("Before", ["before@acme.example"])


def test_every_bad_row_is_reported(cli: Invoke, write_csv: Any) -> None:
    path = write_csv(
        rows(
            "+14155550177,Acme,,,,,,",
            RIVERA,
            "+14155550178,Beta,office@beta.example,,,,Mars/Base,xx",
        )
    )

    result = cli("subscribers", "import", str(path))

    assert_failed_cleanly(result)
    assert "line 2, column 3 (email):" in result.stderr
    assert "line 4, column 7 (timezone):" in result.stderr
    assert "line 4, column 8 (language):" in result.stderr
    assert count_subscribers() == 0


def test_a_file_that_is_not_utf8_is_a_clear_error(cli: Invoke, write_csv: Any) -> None:
    path = write_csv(
        rows(RIVERA, "+14155550177,Café Lumière,office@cafe.example,,,,,").encode("latin-1")
    )

    result = cli("subscribers", "import", str(path))

    assert_failed_cleanly(result)
    assert "not UTF-8" in result.stderr
    assert count_subscribers() == 0
