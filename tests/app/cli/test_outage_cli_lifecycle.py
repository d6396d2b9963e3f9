"""`backline outage update|resolve|list` through the real CLI, the audit log, and what callers hear."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select

from app.core.extensions import db
from app.models import OutageEvent, OutageState
from app.resilience.snapshot import directory
from app.resilience.snapshot_types import outage_heard
from tests.app.cli.outage_cli_helpers import assert_usage_error, fresh, start
from tests.conftest import Invoke


def assert_clear_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output


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
    outage = start(cli, "--message", "M", "--region", "us-west", "--force")
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


def test_a_caller_hears_the_most_recently_updated_active_outage_affecting_them(
    cli: Invoke, subscriber: Any, outage: Any
) -> None:
    west = subscriber(number="+14155550100", region="us-west")
    east = subscriber(number="+12125550142", region="us-east")
    everyone = outage(caller_message="Everyone.")
    west_only = outage(caller_message="West.", regions=["us-west"])
    outage(caller_message="Premium.", plans=["premium"])  # newest, affects neither

    assert _heard(west.number) == west_only.id
    assert _heard(east.number) == everyone.id
    assert _heard(None) == everyone.id  # unknown numbers: only everyone-outages

    assert cli("outage", "update", str(everyone.id), "--state", "identified").exit_code == 0
    assert _heard(west.number) == everyone.id

    assert cli("outage", "resolve", str(everyone.id)).exit_code == 0
    assert _heard(west.number) == west_only.id
    assert _heard(east.number) is None
    assert _heard(None) is None


def _heard(number: str | None) -> int | None:
    """The outage a call to `number` hears, as the IVR looks it up (the snapshot cache)."""
    subscriber = directory.subscriber(number) if number else None
    heard = outage_heard(directory.outages(), subscriber)
    return heard.id if heard else None


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
    from app.outages.affected import affected_count

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
