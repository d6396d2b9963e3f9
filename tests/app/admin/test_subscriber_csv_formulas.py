"""The admin UI's CSV export writes no cell a spreadsheet would run; its import reads it back.

Failure modes named here: `=HYPERLINK(…)`, `=cmd|…`, `@…`, `+…` and `-…` in names, emails,
plans and regions (OWASP's CSV injection) come out quoted, E.164 numbers come out as numbers,
and uploading the download restores every subscriber as it was.
"""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import delete, select

from app.core.extensions import db
from app.models import Subscriber
from tests.app.admin.conftest import csrf
from tests.app.subscribers_csv_helpers import FORMULA_SUBSCRIBERS, assert_no_formula_cells


def stored() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (s.number, s.name, s.emails, s.plan, s.region.strip() if s.region else None)
        for s in db.session.scalars(select(Subscriber).order_by(Subscriber.number))
    ]


def test_the_download_quotes_formulas_and_uploads_back_as_it_was(
    admin_client: FlaskClient, subscriber: Any
) -> None:
    for fields in FORMULA_SUBSCRIBERS:
        subscriber(**fields)
    before = stored()

    exported = admin_client.get("/admin/subscribers/export")
    assert exported.status_code == 200
    assert_no_formula_cells(exported.text)
    assert "\"'=HYPERLINK(" in exported.text and "'=cmd|" in exported.text

    db.session.execute(delete(Subscriber))
    db.session.commit()
    token = csrf(admin_client, "/admin/subscribers/import")
    file = (io.BytesIO(exported.data), "subscribers.csv", "text/csv")
    uploaded = admin_client.post(
        "/admin/subscribers/import", data={"file": file, "csrf_token": token}
    )

    assert uploaded.status_code == 302, uploaded.text
    assert stored() == before
