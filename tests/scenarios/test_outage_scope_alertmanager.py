"""Outage scope meets the Alertmanager webhook: an alert never opens an outage that reaches
nobody, and the admins hear about every alert that opened nothing.

An alert is a machine: answering it 4xx would make Alertmanager retry it for ever. So a firing
alert with no scope labels, a `number` that is not in international form, or a scope that
matches no subscriber is acknowledged (200, outcome "ignored", the reason naming the regions and
plans that exist), opens no outage, and ADMIN_EMAIL gets one email per delivery naming it. The
webhook bodies are Alertmanager 0.25's, sent with a real API token; mail goes to real SMTP.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import AlertRecord, Outage
from app.security.tokens import create_token
from tests.app.api.alertmanager_helpers import alert, deliver
from tests.app.api.conftest import Api
from tests.conftest import ADMIN_EMAIL, SmtpSink
from tests.support.app_state import settle


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """The API with a real token, made as `backline token create` makes one."""
    _, secret = create_token(db.session(), "alertmanager")
    db.session.commit()
    return Api(client, secret)


@pytest.fixture
def customers(subscriber: Any) -> None:
    subscriber(number="+14155550100", emails=["west@acme.example"], region="us-west", plan="basic")
    subscriber(number="+14155550101", emails=["pro@acme.example"], region="us-west", plan="premium")
    subscriber(number="+12125550142", emails=["east@acme.example"], region="us-east", plan="basic")


def test_a_region_matching_nobody_opens_nothing_and_the_admins_are_told_once(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    typo = alert(fingerprint="0000typo0000west", labels={"region": "us-wst"})

    [outcome] = deliver(api, typo)

    assert (outcome["outcome"], outcome["outage_id"]) == ("ignored", None)
    assert "No subscriber matches region us-wst." in outcome["reason"]
    assert "Regions that exist: us-east, us-west." in outcome["reason"]
    assert "Plans that exist: basic, premium." in outcome["reason"]
    assert settle()
    assert count(Outage) == 0
    [warning] = smtp.wait_for(1)
    assert str(warning["To"]) == ADMIN_EMAIL
    assert str(warning["Subject"]) == "Alertmanager: 1 alert ignored, no outage opened"
    text = warning.get_content()
    assert "PrimaryDown (fingerprint 0000typo0000west" in text
    assert 'region="us-wst"' in text and "Regions that exist: us-east, us-west." in text

    [again] = deliver(api, typo)  # Alertmanager re-sends the group at every group_interval

    assert again["outcome"] == "already-seen"
    assert settle()
    assert len(smtp.messages) == 1, "a redelivered alert tells the admins nothing new"


def test_everyone_by_label_opens_while_mislabelled_siblings_are_reported_together(
    api: Api, customers: None, smtp: SmtpSink
) -> None:
    everyone = alert(fingerprint="1111", labels={"backline_scope": "all"})
    unscoped = alert(fingerprint="2222", labels={"severity": "critical"})
    national = alert(fingerprint="3333", labels={"number": "(212) 555-0142"})
    nobody = alert(fingerprint="4444", labels={"region": "us-east", "plan": "premium"})

    outcomes = deliver(api, everyone, unscoped, national, nobody)

    assert [o["outcome"] for o in outcomes] == ["started", "ignored", "ignored", "ignored"]
    assert 'no backline_scope="all"' in outcomes[1]["reason"]
    assert "use the international form" in outcomes[2]["reason"]
    assert "No subscriber matches region us-east and plan premium." in outcomes[3]["reason"]
    outage = db.session.get_one(Outage, outcomes[0]["outage_id"])
    assert outage.covers_everyone
    assert count(Outage) == 1 and count(AlertRecord) == 4
    assert settle()
    [warning] = smtp.wait_for(1)  # the opened outage waits for a person: no notice yet
    assert str(warning["To"]) == ADMIN_EMAIL
    assert str(warning["Subject"]) == "Alertmanager: 3 alerts ignored, no outage opened"
    text = warning.get_content()
    assert all(f"fingerprint {f}" in text for f in ("2222", "3333", "4444"))
    assert "fingerprint 1111" not in text
