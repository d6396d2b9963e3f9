"""Every path through the call flow, explored like a caller pressing every key.

For each scenario (outage state and source, backup number or not, known or unknown number,
primary configured or not, language) the explorer follows every <Gather> digit and silence,
every <Dial> outcome (with SIP codes) and every <Redirect>, and checks that:
- every TwiML document parses and uses only verbs and attributes Twilio documents;
- every path ends with the caller leaving a message or reaching a person (or hanging up
  themselves), never in silence;
- no path loops (a bounded number of turns).
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.extensions import db
from app.models import OutageSource, OutageState
from tests.conftest import PUBLIC_URL, TwilioHelper
from tests.ivr.path_explorer import ENDINGS, Explorer

SOURCES_AND_STATES = [
    None,
    (OutageSource.ADMIN, OutageState.INVESTIGATING),
    (OutageSource.ADMIN, OutageState.IDENTIFIED),
    (OutageSource.ADMIN, OutageState.MONITORING),
    (OutageSource.API, OutageState.INVESTIGATING),
    (OutageSource.ALERTMANAGER, OutageState.INVESTIGATING),
    (OutageSource.DETECTOR, OutageState.IDENTIFIED),
]
CALLEES = ["known with backup", "known without backup", "unknown number"]


def _scenario_id(value: Any) -> str:
    return "no outage" if value is None else f"{value[0].value}-{value[1].value}"


@pytest.mark.parametrize("primary", [True, False], ids=["primary", "no primary"])
@pytest.mark.parametrize("callee", CALLEES)
@pytest.mark.parametrize("outage_kind", SOURCES_AND_STATES, ids=_scenario_id)
def test_every_path_ends_in_a_message_or_a_person(
    app: Any,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    primary: bool,
    callee: str,
    outage_kind: tuple[str, str] | None,
) -> None:
    _arrange(app, subscriber, outage, primary, callee, outage_kind, language="en")
    endings = _explore(twilio, "+14155550100" if callee != "unknown number" else "+14155559999")
    assert any(ending == "message" for ending, _ in endings)


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_every_path_ends_well_in_every_language(
    app: Any, twilio: TwilioHelper, subscriber: Any, outage: Any, language: str
) -> None:
    _arrange(
        app,
        subscriber,
        outage,
        True,
        "known with backup",
        (OutageSource.ADMIN, OutageState.INVESTIGATING),
        language,
    )
    _explore(twilio, "+14155550100")


def _arrange(
    app: Any,
    subscriber: Any,
    outage: Any,
    primary: bool,
    callee: str,
    outage_kind: tuple[str, str] | None,
    language: str,
) -> None:
    if primary:
        app.config["PRIMARY_SIP_DOMAIN"] = "sip.primary.example"
    if callee != "unknown number":
        backup = "+14155550199" if callee == "known with backup" else None
        subscriber(number="+14155550100", name="Acme", backup_number=backup, language=language)
    if outage_kind:
        row = outage(caller_message="We have a temporary problem.")
        row.source, row.state = outage_kind
        db.session.commit()


def _explore(twilio: TwilioHelper, to: str) -> list[tuple[str, str]]:
    explorer = Explorer(twilio, twilio.call_params(to))
    explorer.visit(f"{PUBLIC_URL}/ivr/voice", {}, "call")
    bad = [(ending, trail) for ending, trail in explorer.endings if ending not in ENDINGS]
    assert not bad, "paths ending in silence:\n" + "\n".join(f"{e}: {t}" for e, t in bad)
    assert explorer.endings
    return explorer.endings
