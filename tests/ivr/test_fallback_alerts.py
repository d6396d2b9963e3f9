"""The admin alert about Backline's own failed webhook: it never costs the caller anything and
is never lost, whatever is down, and what Twilio puts in `ErrorUrl` cannot shape the email."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.core.extensions import db
from app.core.mail import MailError
from app.models import Call
from app.resilience.pending import replay_pending
from app.twilio.simulator.media_server import MediaServer
from forwarding.fallback_alerts import alert_fallback_not_counted
from forwarding.mailer import SmtpMailer
from tests.conftest import REDIS_URL
from tests.helpers import free_port
from tests.support.app_state import dispose_engines, settle
from tests.support.smtp import RelaySink, SmtpSink
from tests.support.twilio import PUBLIC_URL, TwilioHelper
from tests.twiml import parse, verbs
from voicemail.storage import LocalStorage

NUMBER = "+14155550100"
OWN_FAILURE = {"ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_URL}/ivr/voice"}


@pytest.fixture
def redis_down(
    settings: dict[str, Any], media: MediaServer
) -> Iterator[tuple[Flask, TwilioHelper]]:
    """A web process whose Redis (and so its job queue) refuses connections."""
    other = create_app({**settings, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    yield other, TwilioHelper(other.test_client(), media)
    dispose_engines(other)


def answered(twilio: TwilioHelper, **fields: str) -> None:
    call = {**twilio.call_params(NUMBER), **fields}
    assert verbs(parse(twilio.post("/ivr/fallback", call)))[-2:] == ["Gather", "Redirect"]


def test_with_the_queue_down_the_alert_is_kept_and_sent_once_replayed(
    app: Flask, redis_down: tuple[Flask, TwilioHelper], smtp: SmtpSink
) -> None:
    _, twilio = redis_down
    for _ in range(3):
        answered(twilio, **OWN_FAILURE)
    if not REDIS_URL:  # (with Redis, the suite's worker may replay the entry first)
        assert smtp.messages == []

    replay_pending()
    settle()

    [alert] = smtp.wait_for(1)
    assert "11200" in alert["Subject"]


def test_an_alert_kept_nowhere_is_tried_again_by_the_next_request(
    app: Flask, redis_down: tuple[Flask, TwilioHelper], smtp: SmtpSink, tmp_path: Path
) -> None:
    other, twilio = redis_down
    working = other.extensions["backline.storage"]
    (tmp_path / "a-file").write_bytes(b"")
    other.extensions["backline.storage"] = LocalStorage(tmp_path / "a-file")  # cannot write
    answered(twilio, **OWN_FAILURE)  # Redis and storage down: answered, alert not kept

    other.extensions["backline.storage"] = working
    answered(twilio, **OWN_FAILURE)
    replay_pending()
    settle()

    [alert] = smtp.wait_for(1)
    assert "11200" in alert["Subject"]


def test_error_url_is_one_bounded_line_in_the_email(
    app: Flask, twilio: TwilioHelper, smtp: SmtpSink
) -> None:
    hostile = f"{PUBLIC_URL}/ivr/voice\r\nBcc: someone@example.net\x00" + "a" * 5000
    answered(twilio, ErrorCode="12100", ErrorUrl=hostile)
    settle()

    [alert] = smtp.wait_for(1)
    assert alert["Bcc"] is None
    [line] = [line for line in alert.get_content().splitlines() if line.startswith("Failed URL")]
    assert f"{PUBLIC_URL}/ivr/voiceBcc: someone@example.net" in line
    assert len(line) < 600
    assert db.session.query(Call).one().error_code == "12100"


def test_without_admin_email_nothing_is_sent(app: Flask, smtp: SmtpSink) -> None:
    app.config["ADMIN_EMAIL"] = None
    alert_fallback_not_counted("own-webhook", "11200", None)  # the job, as the worker runs it
    assert smtp.messages == []


def test_a_failed_send_gives_the_window_back_so_the_retry_sends_it(
    app: Flask, relay: RelaySink
) -> None:
    app.extensions["backline.mailer"] = SmtpMailer(relay.url)
    relay.deferring = True
    with pytest.raises(MailError):
        alert_fallback_not_counted("own-webhook", "11205", OWN_FAILURE["ErrorUrl"])

    relay.deferring = False
    alert_fallback_not_counted("own-webhook", "11205", OWN_FAILURE["ErrorUrl"])  # rq's retry
    alert_fallback_not_counted("own-webhook", "11205", OWN_FAILURE["ErrorUrl"])  # same window

    [alert] = relay.wait_for(1)
    assert "11205" in alert["Subject"]
