"""`backline outage start` through the real CLI: the id, messages, scopes, ETAs and numbers."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Outage, OutageSource, OutageState
from tests.app.cli.outage_cli_helpers import assert_usage_error, fresh, start
from tests.conftest import Invoke


def outage_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Outage)) or 0)


def test_start_prints_the_id_alone_first_and_the_outage_is_active(
    cli: Invoke, subscriber: Any
) -> None:
    subscriber(number="+14155550100", region="us-west")

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
    outage = start(
        cli, "--caller-message", "For callers.", "--subscriber-message", "For you.", "--all"
    )

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


def test_all_means_everyone(cli: Invoke, subscriber: Any) -> None:
    plain = subscriber(number="+14155550100")
    placed = subscriber(number="+12125550142", region="us-east", plan="premium")

    outage = start(cli, "--message", "M", "--all")

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
    outage = start(cli, "--message", "M", "--eta", given, "--all")

    assert outage.etr == stored


@pytest.mark.parametrize(
    ("eta", "problem"),
    [("2001-01-01T10:00", "in the past"), ("tomorrow at ten", "not an ISO 8601")],
    ids=["past", "malformed"],
)
def test_a_bad_eta_is_a_usage_error(cli: Invoke, eta: str, problem: str) -> None:
    result = cli("outage", "start", "--message", "M", "--eta", eta, "--all")

    assert_usage_error(result, "--eta", problem)
    assert outage_count() == 0


def test_numbers_are_normalised(cli: Invoke) -> None:
    outage = start(
        cli,
        "--message",
        "M",
        "--number",
        "+1 (415) 555-0100",
        "--number",
        "+33 1 42 68 53 00",
        "--force",  # neither number is a subscriber's yet
    )

    assert sorted(outage.scope_numbers) == ["+14155550100", "+33142685300"]


def test_a_bad_number_is_an_error(cli: Invoke) -> None:
    result = cli(
        "outage", "start", "--message", "M", "--number", "+14155550100", "--number", "555-0100"
    )

    assert_usage_error(result, "--number", "555-0100")
    assert outage_count() == 0
