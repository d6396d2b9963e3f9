"""`/forwarding/ses-events` handles SNS messages: bounces, complaints, subscriptions, bad bodies."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from app.core.extensions import db
from app.models import Delivery, DeliveryState
from tests.conftest import ADMIN_EMAIL, SmtpSink
from tests.forwarding.sns_stand_in import (
    TOPIC,
    SnsStandIn,
    accepted_delivery,
    confirmation,
    notification,
    post,
    ses_bounce,
    state_of,
)
from tests.forwarding.sns_stand_in import events as events  # fixtures: pytest finds them here
from tests.forwarding.sns_stand_in import sns as sns


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("where", ["both", "headers", "common"])
def test_a_signed_permanent_bounce_marks_the_delivery_bounced_and_alerts_the_admins(
    events: FlaskClient, sns: SnsStandIn, smtp: SmtpSink, version: str, where: str
) -> None:
    bounced = accepted_delivery("gone@acme.example")
    same_voicemail_other_address = Delivery(
        voicemail_id=bounced.voicemail_id,
        address="office@acme.example",
        state="accepted",
        message_id=bounced.message_id.replace("@", ".2@") if bounced.message_id else None,
    )
    db.session.add(same_voicemail_other_address)
    db.session.commit()
    assert bounced.message_id

    answer = post(
        events, sns.sign(ses_bounce(bounced.message_id, bounced.address, where=where), version)
    )

    assert answer.status_code == 200, answer.text
    assert answer.json == {"status": "applied", "bounced": [bounced.id]}
    assert state_of(bounced.id) == DeliveryState.BOUNCED
    assert state_of(same_voicemail_other_address.id) == DeliveryState.ACCEPTED
    [alert] = smtp.wait_for(1)
    assert alert["To"] == ADMIN_EMAIL
    assert "gone@acme.example" in alert["Subject"] and "bounced" in alert["Subject"]


def test_a_repeated_bounce_changes_nothing_more(
    events: FlaskClient, sns: SnsStandIn, smtp: SmtpSink
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    message = sns.sign(ses_bounce(delivery.message_id, delivery.address))

    assert post(events, message).json["bounced"] == [delivery.id]
    assert post(events, message).json["bounced"] == []
    smtp.wait_for(1)
    assert sum(1 for path in sns.requests if path.endswith(".pem")) == 1  # the cert is cached


@pytest.mark.parametrize("kind", ["transient", "complaint"])
def test_transient_bounces_and_complaints_are_logged_not_applied(
    events: FlaskClient, sns: SnsStandIn, kind: str
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    if kind == "transient":
        message = ses_bounce(delivery.message_id, delivery.address, bounce_type="Transient")
    else:
        message = notification(
            {
                "notificationType": "Complaint",
                "complaint": {"complaintFeedbackType": "abuse", "complainedRecipients": []},
                "mail": {"commonHeaders": {"messageId": delivery.message_id}},
            }
        )

    answer = post(events, sns.sign(message))

    assert answer.status_code == 200, answer.text
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


def test_a_subscription_is_confirmed_at_its_subscribe_url(
    events: FlaskClient, sns: SnsStandIn
) -> None:
    url = f"{sns.url}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=abc123"

    answer = post(events, sns.sign(confirmation(url), version="2"))

    assert answer.status_code == 200, answer.text
    assert answer.json == {"status": "confirmed"}
    assert f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=abc123" in sns.requests


def test_a_subscribe_url_off_amazon_is_not_visited(events: FlaskClient, sns: SnsStandIn) -> None:
    answer = post(events, sns.sign(confirmation("https://evil.example/confirm?Token=abc")))

    assert answer.status_code == 400
    assert "not an Amazon SNS https URL" in answer.json["error"]
    assert not any("confirm" in path.lower() for path in sns.requests)


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "code", "phrase"),
    [
        (b"{not json", 400, "not JSON"),
        (b"\xff\xfe\x00", 400, "not JSON"),
        (b"[1, 2]", 400, "not an SNS message"),
        (json.dumps({"Type": "Gossip"}), 400, "not an SNS message"),
        (json.dumps({"Type": "Notification", "SignatureVersion": "1"}), 403, "signing certificate"),
        (b"x" * (600 * 1024), 413, "at most"),
        ("[" * 100_000, 400, "not JSON"),
        (
            '{"Type": "Notification", "Signature": ' + "[" * 50_000 + "]" * 50_000 + "}",
            400,
            "not JSON",
        ),
    ],
    ids=[
        "broken",
        "binary",
        "array",
        "unknown type",
        "unsigned",
        "oversized",
        "nested past the stack",
        "nested inside a message",
    ],
)
def test_malformed_bodies_get_a_sentence_not_a_500(
    events: FlaskClient, body: bytes | str, code: int, phrase: str
) -> None:
    answer = post(events, body)

    assert answer.status_code == code, answer.text
    assert phrase in answer.json["error"]


@pytest.mark.parametrize(
    "event",
    [
        "not json at all",
        json.dumps([1]),
        json.dumps({"notificationType": "Bounce", "mail": {}}),
        '{"notificationType": "Bounce", "mail": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
    ids=["text", "array", "bounce without bounce", "nested past the stack"],
)
def test_a_signed_notification_that_is_not_an_ses_event_is_a_400(
    events: FlaskClient, sns: SnsStandIn, event: str
) -> None:
    answer = post(events, sns.sign(notification(event)))

    assert answer.status_code == 400, answer.text
    assert "not an SES event" in answer.json["error"]


def test_a_nested_signature_is_refused_without_being_turned_into_text(
    events: FlaskClient, sns: SnsStandIn
) -> None:
    message = {
        **notification({"notificationType": "Delivery", "mail": {}}),
        "SignatureVersion": "1",
        "SigningCertURL": f"{sns.url}/cert.pem",
        "Signature": _nested(900),
    }

    answer = post(events, json.dumps(message))

    assert answer.status_code == 403, answer.text
    assert "not base64" in answer.json["error"]


def test_a_missing_signed_field_is_a_400(events: FlaskClient, sns: SnsStandIn) -> None:
    signed = sns.sign(notification({"notificationType": "Delivery", "mail": {}}))
    del signed["Timestamp"]

    answer = post(events, signed)

    assert answer.status_code == 400
    assert "Timestamp" in answer.json["error"]
