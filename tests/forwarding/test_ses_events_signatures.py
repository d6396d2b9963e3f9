"""`/forwarding/ses-events` trusts only what SNS signed: signatures, certificate hosts, topics."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.models import DeliveryState
from forwarding.sns import AWS_SNS_ORIGIN, is_sns_url
from tests.forwarding.sns_stand_in import (
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


def test_a_tampered_message_is_refused(events: FlaskClient, sns: SnsStandIn) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id
    signed = sns.sign(ses_bounce("<someone-else@provider.example>", delivery.address))
    signed["Message"] = ses_bounce(delivery.message_id, delivery.address)["Message"]

    answer = post(events, signed)

    assert answer.status_code == 403
    assert "signature does not verify" in answer.json["error"]
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/SimpleNotificationService-x.pem",
        "http://127.0.0.2:8080/cert.pem",
    ],
)
def test_a_certificate_from_another_host_is_refused_without_fetching(
    events: FlaskClient, sns: SnsStandIn, cert_url: str
) -> None:
    delivery = accepted_delivery()
    assert delivery.message_id

    answer = post(
        events, sns.sign(ses_bounce(delivery.message_id, delivery.address), cert_url=cert_url)
    )

    assert answer.status_code == 403
    assert "not on an Amazon SNS host" in answer.json["error"]
    assert sns.requests == []
    assert state_of(delivery.id) == DeliveryState.ACCEPTED


def test_production_ignores_the_test_pattern(
    app: Flask, settings: dict[str, Any], sns: SnsStandIn
) -> None:
    production = create_app(
        {**settings, "BACKLINE_ENV": "production", "BACKLINE_SNS_URL_PATTERN": sns.pattern}
    )
    with production.app_context():
        delivery = accepted_delivery()
        assert delivery.message_id
        message = sns.sign(ses_bounce(delivery.message_id, delivery.address))
        answer = post(production.test_client(), message)
        assert answer.status_code == 403
        assert sns.requests == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", True),
        ("https://SNS.EU-WEST-1.AMAZONAWS.COM/x.pem", True),
        ("http://sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/x.pem", False),
        ("https://user@sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/https://sns.us-east-1.amazonaws.com/", False),
        ("https://sqs.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.amazonaws.com/x.pem", False),
        (None, False),
    ],
)
def test_only_amazon_sns_hosts_are_trusted_by_default(url: str | None, allowed: bool) -> None:
    assert is_sns_url(url, AWS_SNS_ORIGIN) is allowed


def test_an_unsupported_signature_version_is_refused(events: FlaskClient, sns: SnsStandIn) -> None:
    signed = sns.sign(notification({"notificationType": "Delivery", "mail": {}}))
    signed["SignatureVersion"] = "3"

    assert post(events, signed).status_code == 403


def test_a_topic_outside_the_allow_list_is_refused(
    app: Flask, settings: dict[str, Any], sns: SnsStandIn
) -> None:
    strict = create_app(
        {
            **settings,
            "BACKLINE_SNS_URL_PATTERN": sns.pattern,
            "BACKLINE_SES_TOPIC_ARNS": "arn:aws:sns:us-east-1:123456789012:other",
        }
    )
    url = f"{sns.url}/?Action=ConfirmSubscription&Token=abc"
    with strict.app_context():
        answer = post(strict.test_client(), sns.sign(confirmation(url)))
    assert answer.status_code == 403
    assert not any("Confirm" in path for path in sns.requests)
