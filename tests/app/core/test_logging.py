"""Logs carry call and recording SIDs, never secrets or full phone numbers."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog

from app.core.extensions import jobs
from app.core.logging import configure_logging, redact
from tests.conftest import AUTH_TOKEN, SmtpSink


def test_a_full_call_logs_sids_but_no_full_number_or_secret(
    settings: dict[str, Any],
    twilio: Any,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json_output=False)  # again, now: its lines go to this test's stderr
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    recording = twilio.leave_voicemail("+14155550100", seconds=1, from_="+12125550142")
    smtp.wait_for(1)
    jobs.wait_idle(10)
    worker_log = (
        Path(settings["BACKLINE_INSTANCE_PATH"]) / "worker.log"
    )  # when a real worker ran the jobs
    logs = capsys.readouterr().err + (worker_log.read_text() if worker_log.exists() else "")

    assert recording in logs
    assert "call answered" in logs and "voicemail stored" in logs
    for secret in ("4155550100", "2125550142", AUTH_TOKEN):
        assert secret not in logs
    assert "…0100" in logs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+14155550100", "…0100"),
        ("call from +1 (415) 555-0100 ended", "call from …0100 ended"),
        ("CA" + "1" * 32, "CA" + "1" * 32),  # SIDs are kept whole: they are how calls are traced
        ("42 seconds", "42 seconds"),
    ],
)
def test_redact_cuts_numbers_to_four_digits(value: str, expected: str) -> None:
    assert redact(value) == expected


def test_json_lines_carry_a_redacted_traceback_and_library_lines_alike(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json_output=True)
    log = structlog.get_logger("test")
    try:
        raise ValueError("no route to +14155550100")
    except ValueError:
        log.error("call failed", exc_info=True, caller="+12125550142", at=Decimal("1.5"))
    log.debug("not shown at INFO")
    logging.getLogger("some.library").warning("library says %s", "+14155550100")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]

    assert [line["event"] for line in lines] == ["call failed", "library says …0100"]
    failed = lines[0]
    assert failed["level"] == "error" and failed["caller"] == "…0142"
    assert failed["at"] == "Decimal('1.5')"  # what JSON cannot write is written as repr
    assert "ValueError: no route to …0100" in failed["exception"]
    assert "4155550100" not in json.dumps(lines)


def test_readable_lines_print_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json_output=False)
    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger("test").exception("it failed")

    written = capsys.readouterr().err

    assert "[error    ] it failed" in written
    assert "Traceback (most recent call last)" in written and "ValueError: boom" in written
