"""Logs carry call and recording SIDs, never secrets or full phone numbers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from app.core.extensions import jobs
from app.core.logging import redact
from tests.conftest import AUTH_TOKEN, SmtpSink


def test_a_full_call_logs_sids_but_no_full_number_or_secret(
    settings: dict[str, Any],
    twilio: Any,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    subscriber(number="+14155550100", emails=["office@acme.example"])
    outage()
    recording = twilio.leave_voicemail("+14155550100", seconds=1, from_="+12125550142")
    smtp.wait_for(1)
    jobs.wait_idle(10)
    worker_log = (
        Path(settings["BACKLINE_INSTANCE_PATH"]) / "worker.log"
    )  # when a real worker ran the jobs
    logs = caplog.text + (worker_log.read_text() if worker_log.exists() else "")

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
