"""/api/v1/voicemails and /api/v1/deliveries: filters, detail with a working listen link, and
a retry that is a new delivery and exactly one new email at the SMTP sink."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.extensions import db, storage
from app.models import Delivery, DeliveryState, Voicemail, VoicemailStatus
from tests.app.api.conftest import Api, assert_error
from tests.conftest import ACCOUNT_SID, PUBLIC_URL
from tests.helpers import wait_until
from tests.support.smtp import SmtpSink

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400)
NOW = datetime.now(UTC)


def voicemail(
    status: VoicemailStatus = VoicemailStatus.STORED,
    subscriber_id: int | None = None,
    recorded_at: datetime = NOW,
) -> Voicemail:
    recording_sid = "RE" + secrets.token_hex(16)
    key = f"voicemails/test/{recording_sid}.mp3"
    if status == VoicemailStatus.STORED:
        storage().put(key, MP3, "audio/mpeg")
    row = Voicemail(
        recording_sid=recording_sid,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        caller_number="+14155550123",
        duration_ms=3000,
        status=status,
        subscriber_id=subscriber_id,
        recorded_at=recorded_at,
        mp3_key=key if status == VoicemailStatus.STORED else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def delivery(state: DeliveryState, of: Voicemail | None = None) -> Delivery:
    parent = of or voicemail()
    row = Delivery(voicemail=parent, address="office@acme.example", state=state)
    db.session.add(row)
    db.session.flush()
    if state != DeliveryState.PENDING:
        row.message_id = f"<voicemail.{parent.recording_sid}.{row.id}@provider.example>"
        row.provider, row.attempts = "smtp", 1
    if state == DeliveryState.FAILED:
        row.last_error = "recipient refused: 550 5.1.1 User unknown"
    db.session.commit()
    return row


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.get_json()["items"]]


def test_voicemail_filters(api: Api, subscriber: Any) -> None:
    acme = subscriber(number="+14155550100")
    old = voicemail(subscriber_id=acme.id, recorded_at=NOW - timedelta(days=3))
    new = voicemail(subscriber_id=acme.id)
    failed = voicemail(VoicemailStatus.FAILED)
    since = (NOW - timedelta(days=1)).replace(tzinfo=None).isoformat()

    assert ids(api.get("/voicemails")) == [failed.id, new.id, old.id]
    assert ids(api.get("/voicemails?status=failed")) == [failed.id]
    assert ids(api.get("/voicemails?status=failed&status=stored")) == [failed.id, new.id, old.id]
    assert ids(api.get(f"/voicemails?subscriber_id={acme.id}")) == [new.id, old.id]
    assert ids(api.get(f"/voicemails?since={since}")) == [failed.id, new.id]


def test_voicemail_detail_has_deliveries_and_a_listen_link_that_plays(
    api: Api, client: FlaskClient
) -> None:
    row = voicemail()
    sent = delivery(DeliveryState.ACCEPTED, of=row)

    body = api.get(f"/voicemails/{row.id}").get_json()

    assert body["caller"] == "+1 415-555-0123"
    assert [d["id"] for d in body["deliveries"]] == [sent.id]
    assert body["deliveries"][0]["state"] == "accepted"
    assert body["listen_url"].startswith(PUBLIC_URL + "/")
    played = client.get(body["listen_url"].removeprefix(PUBLIC_URL))
    assert played.status_code == 200 and played.data == MP3


def test_a_voicemail_without_audio_has_no_listen_link(api: Api) -> None:
    row = voicemail(VoicemailStatus.FAILED)

    body = api.get(f"/voicemails/{row.id}").get_json()

    assert body["listen_url"] is None
    assert_error(api.get("/voicemails/999"), 404, "no voicemail 999")


def test_deliveries_list_by_state(api: Api) -> None:
    accepted = delivery(DeliveryState.ACCEPTED)
    failed = delivery(DeliveryState.FAILED)
    bounced = delivery(DeliveryState.BOUNCED)

    assert ids(api.get("/deliveries")) == [bounced.id, failed.id, accepted.id]
    assert ids(api.get("/deliveries?state=failed")) == [failed.id]
    assert ids(api.get("/deliveries?state=failed&state=bounced")) == [bounced.id, failed.id]
    assert ids(api.get(f"/deliveries?voicemail_id={accepted.voicemail_id}")) == [accepted.id]
    assert api.get(f"/deliveries/{failed.id}").get_json()["last_error"].startswith("recipient")


def all_deliveries() -> list[Delivery]:
    db.session.rollback()  # see what the job runner committed
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_retry_is_a_new_delivery_and_exactly_one_new_email(api: Api, smtp: SmtpSink) -> None:
    old = delivery(DeliveryState.FAILED)
    before = (old.state, old.message_id, old.attempts, old.last_error)

    response = api.post(f"/deliveries/{old.id}/retry")

    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["resend_of_id"] == old.id and body["id"] != old.id
    assert response.headers["Location"] == f"{PUBLIC_URL}/api/v1/deliveries/{body['id']}"
    [message] = smtp.wait_for(1)
    wait_until(lambda: all_deliveries()[-1].state == DeliveryState.ACCEPTED)
    kept, resend = all_deliveries()
    assert (kept.state, kept.message_id, kept.attempts, kept.last_error) == before
    assert resend.message_id == message["Message-ID"] != old.message_id
    assert message["To"] == old.address


def test_retry_to_another_address(api: Api, smtp: SmtpSink) -> None:
    old = delivery(DeliveryState.FAILED)

    response = api.post(f"/deliveries/{old.id}/retry", json={"to": "right@acme.example"})

    assert response.status_code == 201, response.text
    [message] = smtp.wait_for(1)
    assert message["To"] == "right@acme.example"


@pytest.mark.parametrize(
    ("setup", "body", "status", "phrase"),
    [
        ("pending", None, 409, "still pending"),
        ("no-audio", None, 409, "no stored audio"),
        ("missing", None, 404, "no delivery"),
        ("failed", {"to": "not an address"}, 422, "not an email address"),
        ("failed", {"to": 5}, 422, "expected a string"),
        ("failed", {"address": "a@b.example"}, 422, "unknown field"),
    ],
)
def test_retry_refusals_send_nothing(
    api: Api, smtp: SmtpSink, setup: str, body: Any, status: int, phrase: str
) -> None:
    rows = {
        "pending": lambda: delivery(DeliveryState.PENDING),
        "no-audio": lambda: delivery(DeliveryState.FAILED, voicemail(VoicemailStatus.FAILED)),
        "failed": lambda: delivery(DeliveryState.FAILED),
        "missing": lambda: None,
    }
    row = rows[setup]()
    before = len(all_deliveries())

    response = api.post(f"/deliveries/{row.id if row else 999}/retry", json=body)

    assert_error(response, status, phrase)
    assert len(all_deliveries()) == before
    assert smtp.messages == []
