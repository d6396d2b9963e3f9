"""`backline outage start|update|resolve|list`, driven through the real CLI, and `outage_for`."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import func, select

from app.extensions import db
from app.models import Outage, OutageEvent, OutageSource, OutageState
from app.outages import outage_for
from tests.conftest import Invoke


def fresh(outage_id: int) -> Outage:
    """The outage as stored now (not as this session last saw it)."""
    db.session.expire_all()
    outage = db.session.get(Outage, outage_id)
    assert outage is not None, f"no outage {outage_id}"
    return outage


def outage_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Outage)) or 0)


def start(cli: Invoke, *args: str) -> Outage:
    result = cli("outage", "start", *args)
    assert result.exit_code == 0, result.output
    return fresh(int(result.stdout.splitlines()[0]))


def assert_usage_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output


def assert_clear_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_start_prints_the_id_alone_first_and_the_outage_is_active(cli: Invoke) -> None:
    result = cli("outage", "start", "--message", "Calls are down.", "--region", "us-west")

    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"\d+", first), first
    outage = fresh(int(first))
    assert outage.is_active
    assert outage.state == OutageState.INVESTIGATING
    assert outage.source == OutageSource.ADMIN
    assert outage.caller_message == "Calls are down."
    assert outage.subscriber_message == "Calls are down."
    assert outage.scope_regions == ["us-west"]
    assert (outage.scope_numbers, outage.scope_plans) == ([], [])
    assert outage.etr is None
    assert outage_count() == 1


def test_separate_caller_and_subscriber_messages(cli: Invoke) -> None:
    outage = start(cli, "--caller-message", "For callers.", "--subscriber-message", "For you.")

    assert (outage.caller_message, outage.subscriber_message) == ("For callers.", "For you.")


def test_repeated_values_are_alternatives_and_options_narrow_each_other(
    cli: Invoke, subscriber: Any
) -> None:
    west_basic = subscriber(number="+14155550100", region="us-west", plan="basic")
    east_basic = subscriber(number="+12125550142", region="us-east", plan="basic")
    west_premium = subscriber(number="+14155550101", region="us-west", plan="premium")
    eu_basic = subscriber(number="+33142685300", region="eu-west", plan="basic")
    no_region = subscriber(number="+14155550102", plan="basic")

    outage = start(
        cli, "--message", "M", "--region", "us-west", "--region", "us-east", "--plan", "basic"
    )

    assert sorted(outage.scope_regions) == ["us-east", "us-west"]
    assert outage.scope_plans == ["basic"]
    assert outage.affects(west_basic)
    assert outage.affects(east_basic)
    assert not outage.affects(west_premium)
    assert not outage.affects(eu_basic)
    assert not outage.affects(no_region)


def test_a_number_narrows_a_region(cli: Invoke, subscriber: Any) -> None:
    inside = subscriber(number="+14155550100", region="us-west")
    same_number_elsewhere_scope = subscriber(number="+12125550142", region="us-east")
    other_in_region = subscriber(number="+14155550101", region="us-west")

    outage = start(
        cli,
        "--message",
        "M",
        "--region",
        "us-west",
        "--number",
        "+14155550100",
        "--number",
        "+12125550142",
    )

    assert outage.affects(inside)
    assert not outage.affects(same_number_elsewhere_scope)
    assert not outage.affects(other_in_region)


def test_no_scope_option_means_everyone(cli: Invoke, subscriber: Any) -> None:
    plain = subscriber(number="+14155550100")
    placed = subscriber(number="+12125550142", region="us-east", plan="premium")

    outage = start(cli, "--message", "M")

    assert outage.covers_everyone
    assert outage.affects(plain)
    assert outage.affects(placed)


@pytest.fixture
def local_zone_not_utc() -> Iterator[None]:
    """Run with a local time zone that is not UTC, so "no offset" cannot pass as local time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2030-01-01T10:00", datetime(2030, 1, 1, 10, 0, tzinfo=UTC)),
        ("2030-01-01T10:00:00Z", datetime(2030, 1, 1, 10, 0, tzinfo=UTC)),
        ("2030-01-01T10:00+02:00", datetime(2030, 1, 1, 8, 0, tzinfo=UTC)),
    ],
    ids=["no offset is UTC", "Z", "offset"],
)
def test_eta(cli: Invoke, local_zone_not_utc: None, given: str, stored: datetime) -> None:
    outage = start(cli, "--message", "M", "--eta", given)

    assert outage.etr == stored


@pytest.mark.parametrize(
    ("eta", "problem"),
    [("2001-01-01T10:00", "in the past"), ("tomorrow at ten", "not an ISO 8601")],
    ids=["past", "malformed"],
)
def test_a_bad_eta_is_a_usage_error(cli: Invoke, eta: str, problem: str) -> None:
    result = cli("outage", "start", "--message", "M", "--eta", eta)

    assert_usage_error(result, "--eta", problem)
    assert outage_count() == 0


def test_numbers_are_normalised(cli: Invoke) -> None:
    outage = start(
        cli, "--message", "M", "--number", "+1 (415) 555-0100", "--number", "+33 1 42 68 53 00"
    )

    assert sorted(outage.scope_numbers) == ["+14155550100", "+33142685300"]


def test_a_bad_number_is_an_error(cli: Invoke) -> None:
    result = cli(
        "outage", "start", "--message", "M", "--number", "+14155550100", "--number", "555-0100"
    )

    assert_usage_error(result, "--number", "555-0100")
    assert outage_count() == 0


def test_update_needs_at_least_one_option(cli: Invoke, outage: Any) -> None:
    row = outage()

    result = cli("outage", "update", str(row.id))

    assert_usage_error(result, "at least one")
    assert [e.action for e in fresh(row.id).events] == ["start"]


def test_update_changes_state_messages_and_eta(cli: Invoke, outage: Any) -> None:
    row = outage(caller_message="Old.", subscriber_message="Old for you.")

    assert cli("outage", "update", str(row.id), "--state", "identified").exit_code == 0
    assert fresh(row.id).state == OutageState.IDENTIFIED

    result = cli("outage", "update", str(row.id), "--message", "New.", "--eta", "2030-05-05T05:05")
    assert result.exit_code == 0, result.output
    updated = fresh(row.id)
    assert (updated.caller_message, updated.subscriber_message) == ("New.", "New.")
    assert updated.etr == datetime(2030, 5, 5, 5, 5, tzinfo=UTC)
    assert updated.state == OutageState.IDENTIFIED
    assert updated.is_active


def test_update_rejects_an_unknown_state(cli: Invoke, outage: Any) -> None:
    row = outage()

    result = cli("outage", "update", str(row.id), "--state", "panicking")

    assert_usage_error(result, "--state")
    assert fresh(row.id).state == OutageState.INVESTIGATING


def test_a_resolved_outage_cannot_be_updated_or_resolved_again(cli: Invoke, outage: Any) -> None:
    row = outage()
    resolved = cli("outage", "resolve", str(row.id))
    assert resolved.exit_code == 0, resolved.output
    assert fresh(row.id).state == OutageState.RESOLVED
    assert fresh(row.id).resolved_at is not None

    assert_clear_error(cli("outage", "update", str(row.id), "--message", "Again?"), "resolved")
    assert_clear_error(cli("outage", "resolve", str(row.id)), "already resolved")
    after = fresh(row.id)
    assert after.caller_message != "Again?"
    assert [e.action for e in after.events] == ["start", "resolve"]


@pytest.mark.parametrize(
    "args",
    [("resolve", "999"), ("update", "999", "--state", "identified")],
    ids=["resolve", "update"],
)
def test_a_missing_outage_is_a_clear_error(cli: Invoke, args: tuple[str, ...]) -> None:
    assert_clear_error(cli("outage", *args), "no outage 999")


def test_list_shows_active_outages_one_a_line_starting_with_the_id(
    cli: Invoke, outage: Any
) -> None:
    first = outage(regions=["us-west"])
    second = outage()
    gone = outage(plans=["basic"])
    assert cli("outage", "resolve", str(gone.id)).exit_code == 0

    active = cli("outage", "list")
    everything = cli("outage", "list", "--all")

    assert active.exit_code == 0, active.output
    assert _leading_ids(active.stdout) == sorted([first.id, second.id])
    assert everything.exit_code == 0, everything.output
    assert _leading_ids(everything.stdout) == sorted([first.id, second.id, gone.id])


def _leading_ids(output: str) -> list[int]:
    lines = output.splitlines()
    ids = [re.match(r"(\d+)\s", line) for line in lines]
    assert all(ids), f"a line does not start with an id:\n{output}"
    return sorted(int(m.group(1)) for m in ids if m)


def test_every_change_is_in_the_audit_log(cli: Invoke) -> None:
    outage = start(cli, "--message", "M", "--region", "us-west")
    assert cli("outage", "update", str(outage.id), "--state", "monitoring").exit_code == 0
    assert cli("outage", "update", str(outage.id), "--caller-message", "Now this.").exit_code == 0
    assert cli("outage", "resolve", str(outage.id)).exit_code == 0

    db.session.expire_all()
    events = db.session.scalars(
        select(OutageEvent).where(OutageEvent.outage_id == outage.id).order_by(OutageEvent.id)
    ).all()
    assert [e.action for e in events] == ["start", "update", "update", "resolve"]
    assert all(e.actor.startswith("cli:") and len(e.actor) > len("cli:") for e in events)
    assert all(e.at is not None for e in events)
    assert events[0].changes["scope_regions"] == ["us-west"]
    assert events[0].changes["caller_message"] == "M"
    assert events[1].changes == {"state": "monitoring"}
    assert events[2].changes == {"caller_message": "Now this."}
    assert events[3].changes["state"] == "resolved"


def test_outage_for_is_the_most_recently_updated_active_outage_affecting_them(
    cli: Invoke, subscriber: Any, outage: Any
) -> None:
    west = subscriber(number="+14155550100", region="us-west")
    east = subscriber(number="+12125550142", region="us-east")
    everyone = outage(caller_message="Everyone.")
    west_only = outage(caller_message="West.", regions=["us-west"])
    outage(caller_message="Premium.", plans=["premium"])  # newest, affects neither

    assert outage_for(db.session(), west) == west_only
    assert outage_for(db.session(), east) == everyone
    assert outage_for(db.session(), None) == everyone  # unknown numbers: only everyone-outages

    assert cli("outage", "update", str(everyone.id), "--state", "identified").exit_code == 0
    db.session.expire_all()
    assert outage_for(db.session(), west) == everyone

    assert cli("outage", "resolve", str(everyone.id)).exit_code == 0
    db.session.expire_all()
    assert outage_for(db.session(), west) == west_only
    assert outage_for(db.session(), east) is None
    assert outage_for(db.session(), None) is None


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"regions": ["us-west"]},
        {"regions": ["us-west", "eu-west"], "plans": ["basic"]},
        {"numbers": ["+14155550100", "+33142685300"]},
        {"regions": ["us-east"], "numbers": ["+14155550100"]},
    ],
)
def test_the_affected_count_in_sql_agrees_with_outage_affects(
    subscriber: Any, outage: Any, scope: dict[str, Any]
) -> None:
    from app.outages import affected_count

    people = [
        subscriber(number="+14155550100", region="us-west", plan="basic"),
        subscriber(
            number="+12125550142", region="us-east", plan="premium", emails=["r@rivera.example"]
        ),
        subscriber(
            number="+33142685300", region="eu-west", plan="basic", emails=["c@martin.example"]
        ),
        subscriber(number="+14155550101", emails=["n@none.example"]),  # no region or plan
    ]
    row = outage(**scope)
    assert affected_count(db.session(), row) == sum(1 for p in people if row.affects(p))


def test_resolving_through_update_keeps_the_closing_message(cli: Any, outage: Any) -> None:
    row = outage(caller_message="Down.")
    result = cli("outage", "update", str(row.id), "--state", "resolved", "--message", "All fixed.")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (row.state, row.caller_message) == ("resolved", "All fixed.")
    assert [event.action for event in row.events] == ["start", "update", "resolve"]
