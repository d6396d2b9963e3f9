"""`backline subscribers import|export`: good files, re-imports, round trips, backup numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from app.core.extensions import db
from app.models import Subscriber
from tests.app.subscribers_csv_helpers import (
    HEADER,
    assert_failed_cleanly,
    count_subscribers,
    fresh,
)
from tests.conftest import Invoke


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
