"""The subscriber pages: search, add, edit, delete, CSV import with its report, and export."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.admin import subscriber_csv_views
from app.core.extensions import db
from app.models import AdminUser, Subscriber
from tests.app.admin.conftest import browser, csrf

HEADER = "number,name,email,plan,region,backup_number,timezone,language\n"
GOOD = {
    "number": "+1 415 555 0123",
    "emails": "ops@acme.example; noc@acme.example\nboss@acme.example",
    "name": "Acme",
    "plan": "business",
    "region": "west",
    "backup_number": "+44 20 7946 0958",
    "timezone": "America/Los_Angeles",
    "language": "en",
}


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def field_errors(page: str, name: str) -> list[str]:
    """The error sentences shown next to one form field."""
    return [html.unescape(e) for e in re.findall(rf'id="{name}-error">([^<]*)<', page)]


def post(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf(client, "/admin/subscribers/new")
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def upload(client: FlaskClient, content: bytes | str) -> Any:
    raw = content.encode() if isinstance(content, str) else content
    file = (io.BytesIO(raw), "subscribers.csv", "text/csv")
    return post(client, "/admin/subscribers/import", {"file": file})


def test_search_finds_by_number_name_or_email_and_pages_by_fifty(
    admin_client: FlaskClient, subscriber: Any
) -> None:
    acme = subscriber("+14155550100", ["ops@acme.example"], name="Acme", plan="business")
    subscriber("+14155550101", ["desk@globex.example"], name="Globex", timezone="Europe/Paris")
    for query in ("acme", "OPS@", "+1 (415) 555-0100", "4155550100"):
        page = admin_client.get("/admin/subscribers", query_string={"q": query})
        assert page.status_code == 200
        assert "Acme" in page.text and "Globex" not in page.text, query
        assert "+1 415-555-0100" in page.text  # formatted for people
        assert f'/admin/subscribers/{acme.id}"' in page.text
    everyone = admin_client.get("/admin/subscribers").text
    assert "Globex" in everyone and "Europe/Paris" in everyone and "business" in everyone

    db.session.add_all(
        Subscriber(number=f"+1415555{n:04d}", emails=["x@y.example"]) for n in range(200, 253)
    )
    db.session.commit()
    first, last = (admin_client.get(f"/admin/subscribers?page={n}").text for n in (1, 2))
    assert first.count("<tr>") - 1 == 50 and last.count("<tr>") - 1 == 5
    assert "Page 2 of 2" in last
    assert admin_client.get("/admin/subscribers?page=junk").status_code == 200
    assert admin_client.get("/admin/subscribers", query_string={"q": "x" * 101}).status_code == 400


def test_adding_a_subscriber_normalises_what_was_typed(admin_client: FlaskClient) -> None:
    answer = post(admin_client, "/admin/subscribers/new", GOOD)
    assert answer.status_code == 302, answer.text
    added = db.session.scalars(select(Subscriber)).one()
    assert added.number == "+14155550123" and added.backup_number == "+442079460958"
    assert added.emails == ["ops@acme.example", "noc@acme.example", "boss@acme.example"]
    assert (added.timezone, added.language, added.plan) == ("America/Los_Angeles", "en", "business")
    assert "Added subscriber" in admin_client.get(answer.headers["Location"]).text


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"number": "12345"}, "number", "'12345' is not a phone number (use the international"),
        ({"number": "+1 415 555"}, "number", "not a valid phone number"),
        ({"number": ""}, "number", "a phone number is required"),
        ({"emails": "ops@acme.example; not-an-email"}, "emails", "'not-an-email' is not an email"),
        ({"emails": " \n ; "}, "emails", "an email address is required"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"language": "tlh"}, "language", "'tlh' is not supported"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"region": "west\x00"}, "region", "NUL"),
        ({"backup_number": "+1 415 555 0123"}, "backup_number", "a subscriber's own number"),
        ({"backup_number": "+14155550100"}, "backup_number", "a subscriber's own number"),
        ({"number": "+14155550100"}, "number", "already has the number +14155550100"),
        ({"number": "+33 1 42 68 53 00"}, "number", "is the backup number of subscriber"),
    ],
)
def test_a_bad_field_is_refused_with_the_problem_next_to_it(
    admin_client: FlaskClient, subscriber: Any, changes: dict[str, str], field: str, problem: str
) -> None:
    subscriber("+14155550100", backup_number="+33142685300")
    answer = post(admin_client, "/admin/subscribers/new", {**GOOD, **changes})
    assert answer.status_code == 400
    assert any(problem in error for error in field_errors(answer.text, field)), answer.text
    assert count() == 1


def test_editing_changes_and_clears_fields_by_the_same_rules(
    admin_client: FlaskClient, subscriber: Any
) -> None:
    row = subscriber("+14155550100", ["old@acme.example"], plan="basic", region="west")
    form = admin_client.get(f"/admin/subscribers/{row.id}").text
    assert "old@acme.example" in form and 'value="basic"' in form

    bad = post(admin_client, f"/admin/subscribers/{row.id}", {**GOOD, "timezone": "Nowhere"})
    assert bad.status_code == 400 and field_errors(bad.text, "timezone")
    db.session.refresh(row)
    assert row.number == "+14155550100" and row.timezone is None

    edits = {**GOOD, "number": "+14155550100", "plan": "", "emails": "new@acme.example"}
    answer = post(admin_client, f"/admin/subscribers/{row.id}", edits)
    assert answer.status_code == 302, answer.text
    db.session.refresh(row)
    assert (row.emails, row.plan, row.name) == (["new@acme.example"], None, "Acme")


def test_deleting_asks_first_then_deletes(admin_client: FlaskClient, subscriber: Any) -> None:
    row = subscriber("+14155550100", name="Acme")
    confirm = admin_client.get(f"/admin/subscribers/{row.id}/delete")
    assert confirm.status_code == 200 and 'class="danger"' in confirm.text
    assert count() == 1
    answer = post(admin_client, f"/admin/subscribers/{row.id}/delete", {})
    assert answer.status_code == 302
    assert count() == 0
    assert "Deleted subscriber +1 415-555-0100" in admin_client.get("/admin/subscribers").text


@pytest.mark.parametrize(
    "path", ["/admin/subscribers/999", "/admin/subscribers/99999999999999999999999/delete"]
)
def test_unknown_subscribers_are_not_found(admin_client: FlaskClient, path: str) -> None:
    assert admin_client.get(path).status_code == 404
    assert post(admin_client, path, GOOD).status_code == 404


def test_a_good_file_imports_and_says_how_many(admin_client: FlaskClient, subscriber: Any) -> None:
    subscriber("+14155550100", ["old@acme.example"])
    content = (
        "\ufeff"
        + HEADER
        + (
            "+1 415 555 0100,Acme,ops@acme.example;noc@acme.example,business,west,,,\n"
            "+14155550101,Globex,desk@globex.example,,east,,Europe/Paris,fr\n"
        )
    )
    answer = upload(admin_client, content)
    assert answer.status_code == 302, answer.text
    assert (
        "Imported 2 subscribers: 1 new, 1 updated." in admin_client.get("/admin/subscribers").text
    )
    acme = db.session.scalars(select(Subscriber).where(Subscriber.name == "Acme")).one()
    assert acme.emails == ["ops@acme.example", "noc@acme.example"]
    assert count() == 2


def test_a_file_with_bad_lines_is_reported_line_by_line_and_not_imported(
    admin_client: FlaskClient,
) -> None:
    content = HEADER + (
        "+14155550100,Acme,ops@acme.example,,,,,\n"
        "12,Bad number,ops@bad.example,,,,,\n"
        "+14155550102,Fine,fine@ok.example,,,,,\n"
        "+14155550103,Bad zone,zone@bad.example,,,,Mars/Olympus,\n"
        "+14155550104,No email,,,,,,\n"
    )
    answer = upload(admin_client, content)
    assert answer.status_code == 400
    report = html.unescape(answer.text)
    assert "3 problems in the file; nothing was imported" in report
    assert "line 3, column 1 (number)" in report
    assert "line 5, column 7 (timezone)" in report
    assert "line 6, column 3 (email)" in report
    assert "line 2" not in report and "line 4" not in report
    assert count() == 0


def test_unreadable_or_oversized_files_get_a_clear_answer(
    admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    latin1 = upload(
        admin_client, (HEADER + "+14155550100,Zoë,z@x.example,,,,,\n").encode("latin-1")
    )
    assert latin1.status_code == 400 and "not UTF-8 text" in latin1.text
    missing = post(admin_client, "/admin/subscribers/import", {})
    assert missing.status_code == 400 and "Choose a CSV file" in missing.text

    monkeypatch.setattr(subscriber_csv_views, "UPLOAD_LIMIT", 1000)
    small_body = upload(admin_client, HEADER + "x" * 1100)  # the body fits, the file does not
    assert small_body.status_code == 413 and "larger than" in small_body.text
    big_body = upload(admin_client, HEADER + "x" * 200_000)  # refused before it is parsed
    assert big_body.status_code == 413 and "split it" in big_body.text
    assert count() == 0


def test_export_downloads_what_import_reads_back(
    admin_client: FlaskClient, subscriber: Any
) -> None:
    subscriber("+14155550100", ["a@acme.example", "b@acme.example"], name="Acme, Inc.")
    subscriber("+14155550101", name='Globex "West"', backup_number="+442079460958", language="fr")
    exported = admin_client.get("/admin/subscribers/export")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=")
    assert exported.text.startswith(HEADER.replace("\n", "\r\n"))  # RFC 4180 line ends

    db.session.execute(Subscriber.__table__.delete())
    db.session.commit()
    assert upload(admin_client, exported.data).status_code == 302
    assert count() == 2
    assert admin_client.get("/admin/subscribers/export").text == exported.text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/subscribers/new",
        "/admin/subscribers/1",
        "/admin/subscribers/1/delete",
        "/admin/subscribers/import",
    ],
)
def test_changes_without_the_csrf_token_are_refused(
    admin_client: FlaskClient, subscriber: Any, path: str
) -> None:
    subscriber("+14155550100")
    answer = admin_client.post(path, data={**GOOD, "number": "+14155550100"})
    assert answer.status_code == 400
    assert count() == 1
    assert db.session.scalars(select(Subscriber)).one().name is None


@pytest.mark.parametrize(
    "path",
    [
        "/admin/subscribers",
        "/admin/subscribers/new",
        "/admin/subscribers/import",
        "/admin/subscribers/export",
        "/admin/subscribers/1",
        "/admin/subscribers/1/delete",
    ],
)
def test_the_pages_need_a_login(app: Flask, admin_account: AdminUser, path: str) -> None:
    answer = browser(app).get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=")
