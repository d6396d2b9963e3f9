"""`backline subscribers import|export`, driven through the real CLI against the test database.

The whole file is validated before anything is written: every bad-row case below checks the
error names the file's line and column, the exit status is non-zero, and the database holds
exactly what it held before the import (also when the bad row comes after good ones).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Subscriber
from tests.conftest import Invoke

HEADER = "number,name,email,plan,region,backup_number,timezone,language"
# Already in the database before each bad-file import.
EXISTING = "+14155550100"
# Good rows: a new subscriber and an update of the existing one. Most bad rows follow them.
RIVERA = "+12125550142,Rivera Law,front-desk@rivera.example,premium,us-east,,America/New_York,es"
UPDATE = f"{EXISTING},After,after@acme.example,premium,us-west,,,"


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(content: str | bytes, name: str = "subscribers.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


def count_subscribers() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def fresh(number: str) -> Subscriber | None:
    """The subscriber as stored now (not as this session last saw it)."""
    db.session.expire_all()
    return db.session.scalar(select(Subscriber).where(Subscriber.number == number))


def assert_failed_cleanly(result: Result) -> None:
    """Non-zero exit through click (an error message), never an unexpected exception."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def test_valid_file_with_bom_is_imported_and_normalised(cli: Invoke, write_csv: Any) -> None:
    content = "\ufeff" + "\n".join(
        [
            HEADER,
            "+1 415 555 0100,Acme Plumbing,office@acme.example; owner@acme.example ;"
            "billing@acme.example,basic,us-west,+1 (415) 555-0199,America/Los_Angeles,EN",
            "+1-212-555-0142,,front-desk@rivera.example,,,,,",
            "",  # a trailing blank line is not a row
        ]
    )

    result = cli("subscribers", "import", str(write_csv(content)))

    assert result.exit_code == 0, result.output
    assert "2 new" in result.stdout
    assert count_subscribers() == 2
    acme = fresh("+14155550100")
    assert acme is not None
    assert acme.emails == ["office@acme.example", "owner@acme.example", "billing@acme.example"]
    assert (acme.name, acme.plan, acme.region) == ("Acme Plumbing", "basic", "us-west")
    assert acme.backup_number == "+14155550199"
    assert (acme.timezone, acme.language) == ("America/Los_Angeles", "en")
    rivera = fresh("+12125550142")
    assert rivera is not None
    assert rivera.emails == ["front-desk@rivera.example"]
    assert (rivera.name, rivera.plan, rivera.region, rivera.backup_number) == (None,) * 4
    assert (rivera.timezone, rivera.language) == (None, None)


def test_only_the_required_columns_in_any_order(cli: Invoke, write_csv: Any) -> None:
    path = write_csv("Email,Number\r\nowner@acme.example,+14155550100\r\n")

    result = cli("subscribers", "import", str(path))

    assert result.exit_code == 0, result.output
    acme = fresh("+14155550100")
    assert acme is not None
    assert acme.emails == ["owner@acme.example"]


def test_reimport_updates_an_existing_number(cli: Invoke, write_csv: Any) -> None:
    first = write_csv(
        f"{HEADER}\n+14155550100,Acme,office@acme.example,basic,us-west,,,\n", "a.csv"
    )
    assert cli("subscribers", "import", str(first)).exit_code == 0

    # The same number written another way is the same subscriber.
    second = write_csv(
        f"{HEADER}\n+1 (415) 555-0100,Acme Plumbing,new@acme.example,premium,us-east,,"
        "America/Chicago,es\n",
        "b.csv",
    )
    result = cli("subscribers", "import", str(second))

    assert result.exit_code == 0, result.output
    assert "0 new, 1 updated" in result.stdout
    assert count_subscribers() == 1
    acme = fresh("+14155550100")
    assert acme is not None
    assert acme.emails == ["new@acme.example"]
    assert (acme.name, acme.plan, acme.region) == ("Acme Plumbing", "premium", "us-east")
    assert (acme.timezone, acme.language) == ("America/Chicago", "es")


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


def test_a_missing_file_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("subscribers", "import", str(tmp_path / "nope.csv"))

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_export_round_trips_through_import(cli: Invoke, write_csv: Any, subscriber: Any) -> None:
    subscriber(
        number="+14155550100",
        name='Acme "Plumbing", Inc.',
        emails=["office@acme.example", "owner@acme.example"],
        plan="basic",
        region="us-west",
        backup_number="+14155550199",
        timezone="America/Los_Angeles",
        language="en",
    )
    subscriber(
        number="+33142685300", name="Boulangerie Père Martin", emails=["contact@martin.example"]
    )
    before = _all_subscribers()

    exported = cli("subscribers", "export")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.splitlines()[0] == HEADER
    assert len(exported.stdout.splitlines()) == 3

    db.session.execute(delete(Subscriber))
    db.session.commit()
    assert count_subscribers() == 0
    result = cli("subscribers", "import", str(write_csv(exported.stdout)))

    assert result.exit_code == 0, result.output
    assert _all_subscribers() == before
    again = cli("subscribers", "export")
    assert again.stdout == exported.stdout


def _all_subscribers() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (s.number, s.name, s.emails, s.plan, s.region, s.backup_number, s.timezone, s.language)
        for s in db.session.scalars(select(Subscriber).order_by(Subscriber.number))
    ]


def test_a_new_number_that_is_an_existing_subscribers_backup_is_refused(
    cli: Invoke, write_csv: Any, subscriber: Any
) -> None:
    subscriber(number="+14155550100", backup_number="+14155550199")
    path = write_csv(f"{HEADER}\n+14155550199,Mobile,mobile@example.com,,,,,\n")

    result = cli("subscribers", "import", str(path))

    assert_failed_cleanly(result)
    assert (
        "line 2, column 1 (number): +14155550199 is the backup number of subscriber +14155550100"
        in result.stderr
    )
    assert count_subscribers() == 1


def test_a_backup_can_become_a_subscriber_when_its_owner_changes_backup_in_the_same_file(
    cli: Invoke, write_csv: Any, subscriber: Any
) -> None:
    subscriber(number="+14155550100", backup_number="+14155550199")
    path = write_csv(
        f"{HEADER}\n+14155550100,Acme,office@acme.example,,,+14155550188,,\n"
        "+14155550199,Mobile,mobile@example.com,,,,,\n"
    )
    result = cli("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert count_subscribers() == 2
