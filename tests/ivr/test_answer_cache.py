"""The outage answer is rendered once per wording: whatever changes the words changes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from app import create_app
from app.resilience.snapshot_types import OutageEntry, SubscriberEntry
from ivr.twiml import Caller, outage_answer
from tests.support.app_state import dispose_engines

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ALICE = SubscriberEntry(1, "+14155550100", name="Alice")
OUTAGE = OutageEntry(1, "investigating", "admin", NOW, caller_message="Engineers are on it.")


def parse(document: str) -> ET.Element:
    return ET.fromstring(document)


def spoken(document: str) -> list[str]:
    return [say.text or "" for say in parse(document).iter("Say")]


def test_the_same_wording_gives_the_same_document(app: Any) -> None:
    with app.test_request_context():
        first = outage_answer(Caller(ALICE, "en"), OUTAGE, NOW)
        again = outage_answer(Caller(ALICE, "en"), replace(OUTAGE), NOW)

    assert first is again  # rendered once, served from the cache


def test_a_new_message_name_or_language_is_heard_at_once(app: Any) -> None:
    with app.test_request_context():
        before = spoken(outage_answer(Caller(ALICE, "en"), OUTAGE, NOW))
        edited = replace(OUTAGE, caller_message="Fixed within the hour.")
        after_edit = spoken(outage_answer(Caller(ALICE, "en"), edited, NOW))
        renamed = spoken(outage_answer(Caller(replace(ALICE, name="Alicia"), "en"), OUTAGE, NOW))
        spanish = spoken(outage_answer(Caller(ALICE, "es"), OUTAGE, NOW))

    assert "Engineers are on it." in before and "Fixed within the hour." in after_edit
    assert "Alice" in before[0] and "Alicia" in renamed[0]
    assert spanish != before


def test_the_etr_follows_the_clock_and_stops_once_passed(app: Any) -> None:
    with_etr = replace(OUTAGE, etr=NOW + timedelta(hours=2))
    with app.test_request_context():
        early = spoken(outage_answer(Caller(ALICE, "en"), with_etr, NOW))
        later = spoken(outage_answer(Caller(ALICE, "en"), with_etr, NOW + timedelta(minutes=90)))
        passed = spoken(outage_answer(Caller(ALICE, "en"), with_etr, NOW + timedelta(hours=3)))

    assert "Service should be back in about 2 hours." in early
    assert "Service should be back in about 30 minutes." in later
    assert not any("Service should be back" in line for line in passed)


def test_apps_with_other_settings_get_their_own_urls(app: Any, settings: dict[str, Any]) -> None:
    overrides = {"BACKLINE_PUBLIC_URL": "https://other.example", "BACKLINE_MENU_TIMEOUT": 9}
    other = create_app({**settings, **overrides})
    try:
        with app.test_request_context():
            ours = parse(outage_answer(Caller(ALICE, "en"), OUTAGE, NOW)).find("Gather")
        with other.test_request_context():
            theirs = parse(outage_answer(Caller(ALICE, "en"), OUTAGE, NOW)).find("Gather")
    finally:
        dispose_engines(other)

    assert ours is not None and theirs is not None
    assert theirs.get("action", "").startswith("https://other.example/")
    assert theirs.get("timeout") == "9" and ours.get("timeout") != "9"
