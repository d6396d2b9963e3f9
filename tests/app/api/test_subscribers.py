"""/api/v1/subscribers: CRUD, search and paging, the number rules, and the CSV import."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Subscriber, Voicemail
from tests.app.api.conftest import Api, assert_error
from tests.conftest import ACCOUNT_SID, PUBLIC_URL


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def test_create_normalises_and_answers_201_with_a_location(api: Api) -> None:
    response = api.post(
        "/subscribers",
        json={
            "number": "+1 (415) 555-0100",
            "emails": ["office@acme.example", "boss@acme.example", "office@acme.example"],
            "name": "Acme Plumbing",
            "plan": "basic",
            "region": "us-west",
            "backup_number": "+1 415 555 0199",
            "timezone": "America/Los_Angeles",
            "language": "ES",
        },
    )

    assert response.status_code == 201, response.text
    body = response.get_json()
    assert response.headers["Location"] == f"{PUBLIC_URL}/api/v1/subscribers/{body['id']}"
    assert body["number"] == "+14155550100"
    assert body["backup_number"] == "+14155550199"
    assert body["emails"] == ["office@acme.example", "boss@acme.example"]
    assert body["language"] == "es"
    stored = db.session.get(Subscriber, body["id"])
    assert stored is not None and stored.number == "+14155550100"


def test_get_patch_and_clear(api: Api, subscriber: Any) -> None:
    row = subscriber(number="+14155550100", name="Acme", plan="basic")

    assert api.get(f"/subscribers/{row.id}").get_json()["name"] == "Acme"
    response = api.patch(
        f"/subscribers/{row.id}", json={"name": None, "plan": "premium", "emails": ["n@x.example"]}
    )

    assert response.status_code == 200, response.text
    db.session.expire_all()
    stored = db.session.get(Subscriber, row.id)
    assert stored is not None
    assert (stored.name, stored.plan, stored.emails) == (None, "premium", ["n@x.example"])


def test_a_taken_number_is_409(api: Api, subscriber: Any) -> None:
    subscriber(number="+14155550100")
    other = subscriber(number="+12125550142", emails=["b@x.example"])

    created = api.post("/subscribers", json={"number": "+14155550100", "emails": ["c@x.example"]})
    moved = api.patch(f"/subscribers/{other.id}", json={"number": "+1 415 555 0100"})

    assert_error(created, 409, "already has the number +14155550100")
    assert_error(moved, 409, "+14155550100")
    assert count() == 2


def test_a_backup_number_may_not_be_any_subscribers_number(api: Api, subscriber: Any) -> None:
    subscriber(number="+14155550100")
    mine = subscriber(number="+12125550142", emails=["b@x.example"], backup_number="+12125550199")

    as_backup = api.patch(f"/subscribers/{mine.id}", json={"backup_number": "+14155550100"})
    as_number = api.post("/subscribers", json={"number": "+12125550199", "emails": ["c@x.ex.io"]})

    assert assert_error(as_backup, 422, "own number")["field"] == "backup_number"
    assert assert_error(as_number, 422, "backup number of subscriber")["field"] == "number"
    assert count() == 2


def test_search_by_number_name_or_email_and_paging(api: Api, subscriber: Any) -> None:
    subscriber(number="+14155550100", name="Acme Plumbing", emails=["office@acme.example"])
    subscriber(number="+12125550142", name="Rivera Law", emails=["r@rivera.example"])
    subscriber(number="+33142685300", name="Martin & Fils", emails=["c@martin.example"])

    def numbers(query: str) -> list[str]:
        response = api.get(f"/subscribers?{query}")
        assert response.status_code == 200, response.text
        return [s["number"] for s in response.get_json()["items"]]

    assert numbers("q=rivera") == ["+12125550142"]
    assert numbers("q=ACME") == ["+14155550100"]
    assert numbers("q=martin.example") == ["+33142685300"]
    assert numbers("q=%2B1 (415) 555") == ["+14155550100"]
    assert numbers("q=%25") == []  # a LIKE wildcard is a literal here
    assert numbers("q=_") == []
    assert numbers("per_page=2") == ["+12125550142", "+14155550100"]
    page_two = api.get("/subscribers?per_page=2&page=2").get_json()
    assert [s["number"] for s in page_two["items"]] == ["+33142685300"]
    assert (page_two["page"], page_two["per_page"], page_two["total"]) == (2, 2, 3)


def test_delete_keeps_voicemails_unlinked(api: Api, subscriber: Any) -> None:
    row = subscriber(number="+14155550100")
    voicemail = Voicemail(
        recording_sid="RE" + "1" * 32, account_sid=ACCOUNT_SID, call_sid="CA" + "2" * 32,
        subscriber_id=row.id,
    )  # fmt: skip
    db.session.add(voicemail)
    db.session.commit()

    response = api.delete(f"/subscribers/{row.id}")

    assert response.status_code == 204, response.text
    assert_error(api.get(f"/subscribers/{row.id}"), 404, f"no subscriber {row.id}")
    db.session.expire_all()
    kept = db.session.get(Voicemail, voicemail.id)
    assert kept is not None and kept.subscriber_id is None
    assert_error(api.delete(f"/subscribers/{row.id}"), 404)


CSV = (
    "number,name,email,plan,region,backup_number,timezone,language\n"
    "+14155550100,Acme,office@acme.example;boss@acme.example,basic,us-west,,America/Los_Angeles,en\n"
    "+12125550142,Rivera,r@rivera.example,premium,us-east,+12125550199,,es\n"
)


def csv_post(api: Api, text: str | bytes, content_type: str = "text/csv") -> Any:
    return api.post("/subscribers/import", data=text, content_type=content_type)


def test_import_creates_and_updates(api: Api, subscriber: Any) -> None:
    subscriber(number="+14155550100", name="Old name")

    response = csv_post(api, "\ufeff" + CSV)

    assert response.status_code == 200, response.text
    assert response.get_json() == {"created": 1, "updated": 1}
    names = dict(db.session.execute(select(Subscriber.number, Subscriber.name)).all())
    assert names == {"+14155550100": "Acme", "+12125550142": "Rivera"}


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("+33142685300,Martin,not-an-address,,,,,", "line 4, column 3 (email):"),
        ("+33142685300,Martin,c@martin.example,,,,Mars/Base,", "line 4, column 7 (timezone):"),
        ("12,Martin,c@martin.example,,,,,", "line 4, column 1 (number):"),
        ("+14155550100,Again,c@martin.example,,,,,", "number +14155550100 repeats line 2"),
        ("+33142685300,Martin,c@martin.example,,,,,de", "line 4, column 8 (language):"),
        ("+33142685300,Martin", "line 4, column 3: expected 8 fields"),
    ],
)
def test_import_errors_name_line_and_column_and_import_nothing(
    api: Api, bad_line: str, expected: str
) -> None:
    response = csv_post(api, CSV + bad_line + "\n")

    body = assert_error(response, 422, "nothing was imported")
    assert any(error.startswith(expected) or expected in error for error in body["errors"]), body
    assert count() == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status", "phrase"),
    [
        (CSV, "application/json", 415, "text/csv"),
        (b"number,email\n+14155550100,\xff@x.example\n", "text/csv", 422, "not UTF-8"),
        ("", "text/csv", 422, "nothing was imported"),
        ("numero,email\n", "text/csv", 422, "nothing was imported"),
        ("number,email\n+14155550100,a\x00@x.example\n", "text/csv", 422, "nothing was imported"),
    ],
    ids=["json", "latin1", "empty", "unknown-column", "nul"],
)
def test_import_rejects_what_is_not_a_subscriber_csv(
    api: Api, data: Any, content_type: str, status: int, phrase: str
) -> None:
    assert_error(csv_post(api, data, content_type), status, phrase)
    assert count() == 0


def test_an_import_larger_than_the_limit_is_413(api: Api) -> None:
    row = "+14155550100,Acme,office@acme.example,,,,,\n"
    huge = CSV.splitlines()[0] + "\n" + row * (17 * 1024 * 1024 // len(row))

    assert_error(csv_post(api, huge), 413, "larger")
    assert count() == 0
