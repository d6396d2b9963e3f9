"""During a scoped outage the detector counts only the failed calls no outage explains."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.core.extensions import db
from app.models import Call, PrimaryFailure
from app.outages.detector import check_primary
from tests.app.outages.detector_helpers import (
    FAILURES,
    _detector_outages,
    _detector_settings,
    _evidence,
)
from tests.helpers import wait_until


def fallback_calls(twilio: Any, number: str, count: int) -> None:
    """SIP trunk calls reaching its Disaster Recovery URL: each answered and stored as evidence."""
    for _ in range(count):
        params = twilio.call_params(number)
        assert twilio.post("/ivr/fallback", params, query="source=trunk").status_code == 200


def test_calls_answered_under_a_scoped_outage_never_open_one_for_everyone(
    app: Flask, twilio: Any, subscriber: Any, outage: Any
) -> None:
    app.config.update(_detector_settings(None))
    subscriber(number="+14155550100", region="north")
    regional = outage(regions=["north"])

    fallback_calls(twilio, "+14155550100", FAILURES * 2)
    check_primary()

    assert db.session.query(PrimaryFailure).count() == FAILURES * 2  # still stored as evidence
    outages = {call.outage_id for call in db.session.query(Call)}
    assert outages == {regional.id}
    assert _detector_outages() == []


def test_failures_outside_the_scope_still_open_an_outage_for_everyone(
    app: Flask, twilio: Any, subscriber: Any, outage: Any
) -> None:
    app.config.update(_detector_settings(None))
    subscriber(number="+14155550100", region="north")
    subscriber(number="+14155550199", region="south")
    outage(regions=["north"])

    fallback_calls(twilio, "+14155550100", FAILURES)  # explained by the northern outage
    fallback_calls(twilio, "+14155550199", FAILURES - 1)
    check_primary()
    assert _detector_outages() == []

    fallback_calls(twilio, "+14155550199", 1)
    check_primary()
    assert len(wait_until(_detector_outages)) == 1


def test_evidence_without_a_call_row_still_counts(app: Flask) -> None:
    app.config.update(_detector_settings(None))
    _evidence(FAILURES)  # the call rows were lost or not yet replayed: count them

    check_primary()

    assert len(_detector_outages()) == 1
