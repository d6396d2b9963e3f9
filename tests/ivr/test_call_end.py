"""How long a call can stay in the outage line, computed from the settings its TwiML uses."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ivr.call_end import call_ended, longest_call
from ivr.twiml import MAX_MENU_VISITS


def test_the_longest_call_covers_every_wait_the_twiml_allows(app: Flask) -> None:
    config = dict(app.config)
    longest = longest_call(config)
    waits = (
        2 * config["BACKLINE_DIAL_TIMEOUT"]  # the primary, then the backup number
        + MAX_MENU_VISITS * config["BACKLINE_MENU_TIMEOUT"]
        + config["BACKLINE_RECORD_MAX_LENGTH"]
        + config["BACKLINE_RECORD_SILENCE_TIMEOUT"]
    )
    assert timedelta(seconds=waits) < longest < timedelta(minutes=30)


def test_longer_recordings_and_timeouts_make_it_longer(app: Flask) -> None:
    config = dict(app.config)
    longer = {
        **config,
        "BACKLINE_RECORD_MAX_LENGTH": config["BACKLINE_RECORD_MAX_LENGTH"] + 600,
        "BACKLINE_MENU_TIMEOUT": config["BACKLINE_MENU_TIMEOUT"] + 10,
    }
    added = timedelta(seconds=600 + MAX_MENU_VISITS * 10)
    assert longest_call(longer) - longest_call(config) == added


def test_only_twilios_final_statuses_end_a_call() -> None:
    ended = ["completed", "busy", "no-answer", "failed", "canceled"]
    assert all(call_ended(status) for status in ended)
    assert not any(call_ended(s) for s in ["queued", "ringing", "in-progress", None, ""])
