"""A resolution that goes out late, after the outages around it changed: by email held up by a
relay deferring mail, and by SMS paced at the sender's rate.

What a notice says is decided when it is sent, not only when it was fanned out: an outage that
starts meanwhile keeps a queued "service is back" from going out as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from app import create_app
from app.cli import main
from app.core.extensions import db, jobs
from app.models import Notice, NoticeKind, NoticeState
from app.outages.notices.wording import SUBJECTS
from app.twilio.simulator.media_server import MediaServer
from tests.conftest import Invoke
from tests.helpers import wait_until
from tests.scenarios.overlap_helpers import (
    EAST,
    EAST_EMAIL,
    RESOLVED,
    WEST,
    WEST_EMAIL,
    plain,
    says_back,
)
from tests.support.app_state import dispose_engines
from tests.support.aws import SnsServer
from tests.support.sms import sms_setup, unique_mobile
from tests.support.smtp import RelaySink

EAST_NEWS = "The east exchange is flooded."
WEST_NEWS = "A fibre cut near Fresno; crews are on site."


def _cli(app: Flask) -> Invoke:
    """`backline ARGS…` against this app (the `cli` fixture's is the suite's app)."""
    return lambda *args: CliRunner().invoke(
        main, list(args), obj=ScriptInfo(create_app=lambda: app)
    )


def _outage(cli: Invoke, *args: str) -> int:
    """`backline outage ARGS…`, without waiting for its notices; the outage's id (or 0)."""
    result = cli("outage", *args)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0] if result.stdout else ""
    return int(first) if first.isdigit() else 0


@pytest.fixture
def relayed(app: Flask, settings: dict[str, Any], relay: RelaySink) -> Iterator[Flask]:
    """An app mailing through `relay`, its jobs in this process (retries included)."""
    relayed = create_app({**settings, "REDIS_URL": None, "SMTP_URL": relay.url})
    with relayed.app_context():
        yield relayed
        jobs.wait_idle(30)
    dispose_engines(relayed)


def test_an_outage_starting_before_a_deferred_resolution_is_sent_keeps_it_from_saying_back(
    relayed: Flask, relay: RelaySink, subscriber: Any
) -> None:
    subscriber(EAST, [EAST_EMAIL], region="us-east")
    cli = _cli(relayed)
    wide = _outage(cli, "start", "--all", "--message", "Our platform is down everywhere.")
    wait_until(lambda: len(relay.messages) == 1, 30)
    relay.clear()
    relay.deferring = True  # 451 for every recipient: the resolution waits for a retry

    _outage(cli, "resolve", str(wide))
    _outage(cli, "start", "--region", "us-east", "--message", EAST_NEWS)
    relay.deferring = False

    wait_until(lambda: len(relay.messages) == 2, 90)  # the retries, 10 s later
    [resolution] = [m for m in relay.messages if m["Subject"] != SUBJECTS["en"][NoticeKind.START]]
    assert not says_back(resolution), plain(resolution)
    text = plain(resolution)
    assert EAST_NEWS in text  # what holds now
    assert "Nobody left you a voicemail" in text  # the time in outage B did end: its summary


def test_a_deferred_resolution_overtaken_by_the_last_one_is_withdrawn(
    relayed: Flask, relay: RelaySink, subscriber: Any
) -> None:
    subscriber(WEST, [WEST_EMAIL], region="us-west")
    cli = _cli(relayed)
    west_only = _outage(cli, "start", "--region", "us-west", "--message", WEST_NEWS)
    wide = _outage(cli, "start", "--all", "--message", "Our platform is down everywhere.")
    wait_until(lambda: len(relay.messages) == 2, 30)
    relay.clear()
    relay.deferring = True

    _outage(cli, "resolve", str(wide))  # "us-west is still affected", held up by the relay
    _outage(cli, "resolve", str(west_only))  # then us-west's time in outage ends too
    relay.deferring = False

    wait_until(lambda: _open_notices() == 0, 90)  # the retries, 10 s later
    [resolution] = relay.messages  # one email, not a stale "still affected" before it
    assert resolution["Subject"] == RESOLVED
    progress = cli("outage", "progress", str(wide)).output
    assert "(resolve, done): email 0 sent, 0 failed, 0 refused, 1 withdrawn" in progress


def _open_notices() -> int:
    db.session.rollback()
    query = select(func.count()).select_from(Notice).where(Notice.state != NoticeState.DONE)
    return int(db.session.scalar(query) or 0)


def test_a_paced_sms_resolution_names_the_outage_that_still_holds(
    app: Flask,
    settings: dict[str, Any],
    media: MediaServer,
    sns: SnsServer,
    subscriber: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sns.url)
    west_mobile, east_mobile = unique_mobile(), unique_mobile()
    subscriber(WEST, ["west@acme.example"], region="us-west", backup_number=west_mobile)
    subscriber(EAST, ["east@acme.example"], region="us-east", backup_number=east_mobile)
    with sms_setup(settings, media, sns) as sms:
        cli = _cli(sms.configure(BACKLINE_SMS_RATE=50))
        _outage(cli, "start", "--region", "us-west", "--message", WEST_NEWS)
        wide = _outage(cli, "start", "--all", "--message", "Our platform is down everywhere.")

        _outage(cli, "resolve", str(wide))

        [*_, east] = sms.twilio_sent(east_mobile)
        assert east["body"].startswith("Phone service restored")
        [*_, west] = sms.twilio_sent(west_mobile)
        assert "restored" not in west["body"]
        assert WEST_NEWS in west["body"]
