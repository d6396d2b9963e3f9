"""Outage scope meets `backline outage start`: nobody is notified by a forgotten or mistyped scope.

Through the real CLI, real SMTP (the `smtp` sink) and, when the suite runs against them,
PostgreSQL and a real `backline worker` on Redis:
- no scope at all is a usage error (exit 2): nothing created, nobody emailed;
- `--all` is the only way to reach every subscriber, and cannot be mixed with a scope;
- a scope that matches nobody (`--region us-wst`) is refused, naming the regions and plans that
  exist; `--force` starts it anyway (a number about to be imported);
- `--dry-run` prints the count and the first notice's text and creates nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Notice, Outage
from tests.app.cli.outage_cli_helpers import assert_usage_error, fresh
from tests.conftest import Invoke, SmtpSink
from tests.support.app_state import settle


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def assert_nothing_happened(smtp: SmtpSink) -> None:
    """No outage, no notice, and (once the queue is idle) no email."""
    assert settle()
    assert count(Outage) == 0
    assert count(Notice) == 0
    assert smtp.messages == []


@pytest.fixture
def customers(subscriber: Any) -> None:
    """Three subscribers: two regions, two plans."""
    subscriber(number="+14155550100", emails=["west@acme.example"], region="us-west", plan="basic")
    subscriber(number="+14155550101", emails=["pro@acme.example"], region="us-west", plan="premium")
    subscriber(number="+12125550142", emails=["east@acme.example"], region="us-east", plan="basic")


def test_no_scope_is_a_usage_error_and_nobody_is_told(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli("outage", "start", "--message", "Calls are down.")

    assert_usage_error(result, "--all", "--region", "Nothing was started")
    assert result.stdout == ""
    assert_nothing_happened(smtp)


def test_a_mistyped_region_is_refused_naming_what_exists(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli("outage", "start", "--message", "Calls are down.", "--region", "us-wst")

    assert result.exit_code == 1, result.output
    assert "No subscriber matches region us-wst" in result.stderr
    assert "Regions that exist: us-east, us-west." in result.stderr
    assert "Plans that exist: basic, premium." in result.stderr
    assert "--force" in result.stderr and "Traceback" not in result.output
    assert_nothing_happened(smtp)


def test_a_region_and_plan_that_never_meet_are_refused(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli("outage", "start", "--message", "M", "--region", "us-east", "--plan", "premium")

    assert result.exit_code == 1, result.output
    assert "No subscriber matches region us-east and plan premium" in result.stderr
    assert_nothing_happened(smtp)


def test_all_reaches_every_subscriber(cli: Invoke, customers: None, smtp: SmtpSink) -> None:
    result = cli("outage", "start", "--message", "Calls are down everywhere.", "--all")

    assert result.exit_code == 0, result.output
    outage = fresh(int(result.stdout.splitlines()[0]))
    assert outage.covers_everyone
    assert "it affects 3 subscriber(s)" in result.stdout
    assert settle()
    emails = smtp.wait_for(3)
    assert sorted(str(m["To"]) for m in emails) == [
        "east@acme.example",
        "pro@acme.example",
        "west@acme.example",
    ]


def test_all_with_a_scope_is_a_usage_error(cli: Invoke, customers: None, smtp: SmtpSink) -> None:
    result = cli("outage", "start", "--message", "M", "--all", "--region", "us-west")

    assert_usage_error(result, "--all reaches every subscriber")
    assert_nothing_happened(smtp)


def test_force_starts_an_outage_for_a_number_not_imported_yet(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli("outage", "start", "--message", "M", "--number", "+33142685300", "--force")

    assert result.exit_code == 0, result.output
    outage = fresh(int(result.stdout.splitlines()[0]))
    assert outage.scope_numbers == ["+33142685300"] and outage.is_active
    assert "it affects 0 subscriber(s)" in result.stdout
    assert settle() and smtp.messages == []


def test_dry_run_prints_the_count_and_the_first_notice_and_creates_nothing(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli(
        "outage",
        "start",
        "--message",
        "SIP trunk west is down.",
        "--region",
        "us-west",
        "--dry-run",
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not re.fullmatch(r"\d+", lines[0]), "a dry run prints no outage id"
    assert "It would affect 2 subscriber(s)." in lines
    assert "The first notice, by email to west@acme.example:" in lines
    assert "Subject: Service disruption: calls to your number reach our outage line" in lines
    assert "SIP trunk west is down." in lines
    assert "This concerns: +1 415-555-0100." in lines
    assert "[their private status page link]" in result.stdout  # nobody's link is signed
    assert_nothing_happened(smtp)


def test_dry_run_of_a_scope_matching_nobody_is_refused_like_the_real_thing(
    cli: Invoke, customers: None, smtp: SmtpSink
) -> None:
    result = cli("outage", "start", "--plan", "gold", "--dry-run")

    assert result.exit_code == 1, result.output
    assert "No subscriber matches plan gold" in result.stderr
    assert_nothing_happened(smtp)


def test_help_says_all_is_the_way_to_reach_everyone(cli: Invoke) -> None:
    result = cli("outage", "start", "--help")

    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "--all is the way to reach every subscriber" in text
    assert "--all Every subscriber: the only way to reach everyone" in text
    assert "--force" in text and "--dry-run" in text
