"""Fuzzing the endpoints that are not Twilio's: Amazon SNS's SES events, Alertmanager's webhook,
and the token links in emails (status page, one-click unsubscribe, listen links).

Each answers hostile input with a 2xx or a 4xx carrying a sentence, never a 5xx or a traceback;
links signed with Backline's own key but carrying hostile payloads are refused the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from app.security.links import STATUS_SALT, UNSUBSCRIBE_SALT
from forwarding.sns import MESSAGE_TYPES
from tests.app.api.conftest import Api
from tests.forwarding.test_ses_events import TOPIC, SnsStandIn, notification, ses_bounce
from tests.fuzz.checks import assert_no_server_error, assert_rows_fit_their_columns
from tests.fuzz.strategies import ANY_CHARACTER, HOSTILE_TEXT, json_values
from tests.support.app_state import built_app

SES = "/forwarding/ses-events"
ALERTMANAGER = "/api/v1/alerts/alertmanager"

# --- Amazon SNS: /forwarding/ses-events ---------------------------------------------------

SNS_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn",
              "SignatureVersion", "Signature", "SigningCertURL", "SubscribeURL", "Token"]  # fmt: skip
SNS_MESSAGES = st.fixed_dictionaries(
    {"Type": st.sampled_from(MESSAGE_TYPES)},
    optional={name: json_values(max_leaves=3) for name in SNS_FIELDS},
)


@pytest.fixture(scope="module")
def sns_stand_in() -> Iterator[SnsStandIn]:
    stand_in = SnsStandIn()
    yield stand_in
    stand_in.server.shutdown()


@pytest.fixture
def events(app: Flask, settings: dict[str, Any], sns_stand_in: SnsStandIn) -> Iterator[FlaskClient]:
    """A client of an app that trusts the local SNS stand-in's certificate."""
    configured = built_app({**settings, "BACKLINE_SNS_URL_PATTERN": sns_stand_in.pattern,
                            "BACKLINE_SES_TOPIC_ARNS": TOPIC})  # fmt: skip
    with configured as made, made.app_context():
        yield made.test_client()


def post_sns(client: FlaskClient, body: bytes | str) -> Any:
    return client.post(SES, data=body, headers={"Content-Type": "text/plain; charset=UTF-8"})


@given(body=st.one_of(json_values().map(json.dumps), SNS_MESSAGES.map(json.dumps),
                      st.binary(max_size=200)))  # fmt: skip
def test_unsigned_sns_bodies_are_refused_with_a_sentence(events: FlaskClient, body: Any) -> None:
    response = post_sns(events, body)

    assert_no_server_error(response, body)
    assert response.status_code in (400, 403), (body, response.status_code)


@given(event=json_values(), message=st.none() | HOSTILE_TEXT)
def test_signed_notifications_with_hostile_events_never_fail(
    events: FlaskClient, sns_stand_in: SnsStandIn, event: Any, message: str | None
) -> None:
    text = json.dumps(event) if message is None else message
    body = sns_stand_in.sign(notification(text))

    response = post_sns(events, json.dumps(body))

    assert_no_server_error(response, body)
    assert response.status_code in (200, 400), (body, response.status_code)


@given(
    recipients=st.lists(json_values(max_leaves=3), max_size=3),
    diagnostic=HOSTILE_TEXT,
    headers=json_values(max_leaves=4),
)
def test_signed_bounces_with_hostile_parts_never_fail(
    events: FlaskClient, sns_stand_in: SnsStandIn, recipients: list[Any], diagnostic: str,
    headers: Any,
) -> None:  # fmt: skip
    event = json.loads(ses_bounce("<m@provider.example>", "office@acme.example")["Message"])
    event["bounce"]["bouncedRecipients"] += recipients
    event["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = diagnostic
    event["mail"]["headers"] = headers
    body = sns_stand_in.sign(notification(event))

    assert_no_server_error(post_sns(events, json.dumps(body)), event)
    assert_rows_fit_their_columns()


# --- Alertmanager: /api/v1/alerts/alertmanager ----------------------------------------------

ALERT_TEXT = st.one_of(HOSTILE_TEXT, json_values(max_leaves=3))
ALERTS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["firing", "resolved"]) | ALERT_TEXT,
        "fingerprint": st.text("0123456789abcdef", min_size=1, max_size=16) | ALERT_TEXT,
        "startsAt": st.sampled_from(["2026-11-22T18:30:00Z", "2026-11-22T18:30:00.123456789Z",
                                     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"])
        | ALERT_TEXT,
        "labels": st.dictionaries(
            st.sampled_from(["region", "number", "plan", "backline_scope", "alertname"])
            | st.text(ANY_CHARACTER, max_size=10),
            ALERT_TEXT,
            max_size=4,
        ) | ALERT_TEXT,
        "annotations": st.dictionaries(
            st.sampled_from(["summary", "caller_message", "description"]), ALERT_TEXT, max_size=3
        ) | ALERT_TEXT,
    },
)  # fmt: skip
NOTIFICATIONS = st.fixed_dictionaries(
    {"version": st.just("4") | ALERT_TEXT, "alerts": st.lists(ALERTS, max_size=3) | ALERT_TEXT},
    optional={"receiver": ALERT_TEXT, "status": ALERT_TEXT, "groupKey": ALERT_TEXT},
)


@given(body=st.one_of(NOTIFICATIONS, json_values()))
def test_alertmanager_bodies_get_an_answer_never_an_error(api: Api, body: Any) -> None:
    response = api.post("/alerts/alertmanager", json=body)

    assert_no_server_error(response, body)
    assert response.is_json
    if response.status_code == 200:
        assert isinstance(response.get_json()["alerts"], list)
    assert_rows_fit_their_columns()


@given(header=st.one_of(HOSTILE_TEXT.map(lambda t: f"Bearer {t}"), HOSTILE_TEXT))
def test_alertmanager_without_a_valid_token_is_401(client: FlaskClient, header: str) -> None:
    header = header.replace("\r", "").replace("\n", "")  # a header cannot carry a line break
    response = client.post(ALERTMANAGER, json={"version": "4", "alerts": []},
                           headers={"Authorization": header})  # fmt: skip

    assert response.status_code == 401, (header, response.status_code)
    assert_no_server_error(response, header)


# --- Links in emails: /status, /unsubscribe, /voicemail/listen --------------------------------

LINK_ROUTES = [
    ("GET", "/status/{}"),
    ("POST", "/status/{}/renew"),
    ("GET", "/unsubscribe/{}"),
    ("POST", "/unsubscribe/{}"),
    ("GET", "/voicemail/listen/{}"),
]
HOSTILE_INTS = st.integers(min_value=-(2**70), max_value=2**70)


def signed_tokens(secret: str) -> st.SearchStrategy[str]:
    """Tokens signed with Backline's own key whose payloads are not what Backline writes."""
    status = URLSafeSerializer(secret, salt=STATUS_SALT)
    unsubscribe = URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT)
    listen = URLSafeTimedSerializer(secret, salt="listen")
    payloads = st.one_of(
        json_values(max_leaves=5),
        st.fixed_dictionaries({"ids": st.lists(HOSTILE_INTS, max_size=3), "us": HOSTILE_INTS}),
        st.lists(HOSTILE_TEXT, min_size=2, max_size=2),
        st.lists(HOSTILE_INTS, min_size=2, max_size=2),
    )
    serializers = st.sampled_from([status, unsubscribe, listen])
    return st.builds(lambda s, payload: s.dumps(payload), serializers, payloads)


@pytest.mark.parametrize(("method", "route"), LINK_ROUTES)
@given(data=st.data())
def test_token_links_refuse_hostile_tokens_with_a_sentence(
    app: Flask, client: FlaskClient, subscriber: Any, method: str, route: str, data: st.DataObject
) -> None:
    token = data.draw(
        st.one_of(
            HOSTILE_TEXT.filter(lambda t: "/" not in t and t not in ("", ".", "..")),
            signed_tokens(app.config["BACKLINE_SECRET_KEY"]),
        )
    )
    path = route.format(quote(token, safe=""))

    response = client.open(path, method=method)

    assert_no_server_error(response, token)
    assert response.status_code in (200, 404, 410), (token, response.status_code)
    assert_rows_fit_their_columns()
