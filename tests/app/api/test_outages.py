"""/api/v1/outages: start, list, show, update, resolve; idempotency; scope; the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import IdempotencyKey, Outage, OutageEvent, OutageSource, OutageState
from tests.app.api.conftest import Api, assert_error
from tests.conftest import PUBLIC_URL

FUTURE = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)


def outage_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Outage)) or 0)


def start(api: Api, **body: Any) -> dict[str, Any]:
    """Start an outage for everyone unless the body gives a scope."""
    response = api.post("/outages", json={"scope": "all", **body})
    assert response.status_code == 201, response.text
    return dict(response.get_json())


def test_start_answers_201_with_the_outage_its_location_and_affected_count(
    api: Api, subscriber: Any
) -> None:
    subscriber(number="+14155550100", region="us-west")
    subscriber(number="+12125550142", region="us-east", emails=["e@east.example"])

    response = api.post(
        "/outages",
        json={
            "message": "Calls are down.",
            "scope": {"regions": ["us-west"]},
            "etr": FUTURE.isoformat(),
        },
    )

    assert response.status_code == 201, response.text
    body = response.get_json()
    assert response.headers["Location"] == f"{PUBLIC_URL}/api/v1/outages/{body['id']}"
    assert body["state"] == "investigating" and body["source"] == "api"
    assert body["caller_message"] == body["subscriber_message"] == "Calls are down."
    assert body["affected"] == 1
    assert body["scope"] == {"regions": ["us-west"], "numbers": [], "plans": []}
    assert datetime.fromisoformat(body["etr"]) == FUTURE
    stored = db.session.get(Outage, body["id"])
    assert stored is not None and stored.is_active and stored.source == OutageSource.API


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("all", {"+14155550100", "+12125550142", "+33142685300"}),
        ({"regions": ["us-west", "eu-west"]}, {"+14155550100", "+33142685300"}),
        ({"regions": ["us-west", "eu-west"], "plans": ["premium"]}, {"+33142685300"}),
        ({"numbers": ["+1 212-555-0142"]}, {"+12125550142"}),
        ({"regions": ["us-east"], "numbers": ["+14155550100"]}, set()),
    ],
)
def test_scope_selects_exactly_the_right_subscribers(
    api: Api, subscriber: Any, scope: dict[str, Any], expected: set[str]
) -> None:
    people = [
        subscriber(number="+14155550100", region="us-west", plan="basic"),
        subscriber(number="+12125550142", region="us-east", plan="premium", emails=["b@x.example"]),
        subscriber(number="+33142685300", region="eu-west", plan="premium", emails=["c@x.example"]),
    ]

    forced = {} if expected else {"force": True}  # a scope matching nobody is refused without
    body = start(api, message="Down.", scope=scope, **forced)

    outage = db.session.get(Outage, body["id"])
    assert outage is not None
    assert {p.number for p in people if outage.affects(p)} == expected
    assert body["affected"] == len(expected)


def test_per_language_messages_are_kept(api: Api) -> None:
    body = start(
        api,
        caller_message="We have a problem.",
        subscriber_message="Our platform is down.",
        caller_messages={"es": "Tenemos un problema.", "FR": "Nous avons un problème."},
        subscriber_messages={"es": "Nuestra plataforma no funciona."},
    )

    assert body["caller_messages"] == {
        "es": "Tenemos un problema.",
        "fr": "Nous avons un problème.",
    }
    assert body["subscriber_messages"] == {"es": "Nuestra plataforma no funciona."}
    assert body["caller_message"] == "We have a problem."


def test_an_etr_without_an_offset_is_utc(api: Api) -> None:
    naive = FUTURE.replace(tzinfo=None).isoformat()

    body = start(api, message="M", etr=naive)

    assert datetime.fromisoformat(body["etr"]) == FUTURE


def test_the_same_idempotency_key_never_makes_a_second_outage(api: Api) -> None:
    payload = {"message": "Down.", "scope": {"plans": ["basic"]}, "force": True}
    headers = {"Idempotency-Key": "0b7c5a8e-retry-1"}

    first = api.post("/outages", json=payload, headers=headers)
    again = api.post("/outages", json=payload, headers=headers)
    other = api.post("/outages", json=payload, headers={"Idempotency-Key": "another"})

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    assert outage_count() == 2
    assert db.session.get(IdempotencyKey, "0b7c5a8e-retry-1") is not None


def test_a_key_reused_for_a_different_body_is_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/outages", json={"message": "A", "scope": "all"}, headers=headers)
    assert first.status_code == 201

    response = api.post("/outages", json={"message": "B", "scope": "all"}, headers=headers)

    assert_error(response, 422, "Idempotency-Key", "different request")
    assert outage_count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"], ids=["empty", "long", "non-ascii"])
def test_a_bad_idempotency_key_is_400(api: Api, key: str) -> None:
    response = api.post("/outages", json={"message": "A"}, headers={"Idempotency-Key": key})

    assert_error(response, 400, "Idempotency-Key")
    assert outage_count() == 0


def test_list_shows_active_outages_and_all_with_all_1(api: Api) -> None:
    active = start(api, message="A")
    gone = start(api, message="B")
    assert api.post(f"/outages/{gone['id']}/resolve").status_code == 200

    listed = api.get("/outages").get_json()
    everything = api.get("/outages?all=1").get_json()

    assert [o["id"] for o in listed["items"]] == [active["id"]]
    assert {o["id"] for o in everything["items"]} == {active["id"], gone["id"]}
    assert everything["total"] == 2


def test_show_has_the_timeline_with_the_api_actor(api: Api) -> None:
    outage = start(api, message="Down.")
    patched = api.patch(f"/outages/{outage['id']}", json={"state": "identified", "etr": None})
    assert patched.status_code == 200, patched.text

    body = api.get(f"/outages/{outage['id']}").get_json()

    assert [e["action"] for e in body["timeline"]] == ["start", "update"]
    assert {e["actor"] for e in body["timeline"]} == {"api:noc-automation"}
    assert body["timeline"][1]["changes"] == {"state": "identified"}


def test_patch_changes_messages_etr_and_state_in_the_audit_log(api: Api) -> None:
    outage = start(api, caller_message="Old.", caller_messages={"es": "Viejo."})
    new_etr = FUTURE + timedelta(hours=1)

    response = api.patch(
        f"/outages/{outage['id']}",
        json={"caller_message": "New.", "etr": new_etr.isoformat(), "state": "monitoring"},
    )

    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["caller_message"] == "New."
    assert body["caller_messages"] == {}  # the old translation would now mislead
    assert body["state"] == "monitoring"
    assert datetime.fromisoformat(body["etr"]) == new_etr
    events = db.session.scalars(select(OutageEvent).order_by(OutageEvent.id)).all()
    assert events[-1].actor == "api:noc-automation"
    assert events[-1].changes["caller_message"] == "New."


def test_patch_to_resolved_applies_the_other_changes_first(api: Api) -> None:
    outage = start(api, message="Down.")

    response = api.patch(
        f"/outages/{outage['id']}", json={"subscriber_message": "Fixed.", "state": "resolved"}
    )

    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["state"] == "resolved" and body["resolved_at"]
    assert body["subscriber_message"] == "Fixed."
    assert [e["action"] for e in body["timeline"]] == ["start", "update", "resolve"]


def test_resolve_then_changes_are_409(api: Api) -> None:
    outage = start(api, message="Down.")
    resolved = api.post(f"/outages/{outage['id']}/resolve")
    assert resolved.status_code == 200 and resolved.get_json()["state"] == "resolved"

    assert_error(api.post(f"/outages/{outage['id']}/resolve"), 409, "already resolved")
    assert_error(api.patch(f"/outages/{outage['id']}", json={"message": "Again"}), 409, "resolved")
    stored = db.session.get(Outage, outage["id"])
    assert stored is not None and stored.state == OutageState.RESOLVED
    assert stored.caller_message == "Down."


@pytest.mark.parametrize("path", ["/outages/999", "/outages/99999999999999999999"])
def test_missing_outages_are_404(api: Api, path: str) -> None:
    assert_error(api.get(path), 404)
    assert_error(api.patch(path, json={"message": "x"}), 404)
    assert_error(api.post(path + "/resolve"), 404)


def test_concurrent_requests_with_one_key_make_one_outage(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(_: int) -> Any:
        body = {"message": "Down.", "scope": "all"}
        return api.post("/outages", json=body, headers={"Idempotency-Key": "race"})

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(12)))

    assert sorted({r.status_code for r in responses}) in ([200, 201], [201]), [
        r.text for r in responses
    ]
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.get_json()["id"] for r in responses}) == 1
    db.session.rollback()
    assert outage_count() == 1
