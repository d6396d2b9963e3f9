"""`/forwarding/sms-status`: Twilio's signed status callbacks for notice SMS sent through the
stand-in, with undelivered ones resent once through SNS (moto) by a real in-process job.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.core.extensions import jobs
from app.models import MessageState, NoticeMessage
from app.outages.notices import sms_delivery
from app.outages.notices.sms_delivery import deliver_sms
from app.twilio.simulator.media_server import MediaServer
from tests.conftest import ACCOUNT_SID, TwilioHelper
from tests.support.aws import SnsServer
from tests.support.sms import SmsSetup, opt_out_of, pending_sms, sms_setup, stored, unique_mobile

BODY = "Our phone platform is down. Calls go to voicemail."


@pytest.fixture
def sms(
    app: Flask,
    settings: dict[str, Any],
    media: MediaServer,
    sns: SnsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SmsSetup]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sns.url)
    # The status callback does not carry the text: the resend rebuilds it from the notice.
    monkeypatch.setattr(sms_delivery, "body_for", lambda message: f"{BODY} (#{message.id})")
    with sms_setup(settings, media, sns) as setup:
        yield setup


@pytest.fixture
def twilio_for(media: MediaServer) -> Any:
    """Factory: a TwilioHelper posting signed callbacks to this configured app."""
    return lambda configured: TwilioHelper(configured.test_client(), media)


def sent_by_twilio(mobile: str) -> NoticeMessage:
    message = pending_sms(mobile)
    deliver_sms(message, BODY)
    row = stored(message.id)
    assert (row.state, row.provider) == (MessageState.SENT, "twilio")
    return row


def callback(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": "+14155550000",
        "ApiVersion": "2010-04-01",
    }
    return {**params, "ErrorCode": error_code} if error_code else params


def test_delivered_marks_the_message_delivered_once(sms: SmsSetup, twilio_for: Any) -> None:
    twilio = twilio_for(sms.configure())
    message = sent_by_twilio(unique_mobile())
    sid = message.provider_id or ""

    for status in ("queued", "sent"):
        assert twilio.post("/forwarding/sms-status", callback(sid, status)).json == {
            "status": "noted"
        }
    assert stored(message.id).state == MessageState.SENT
    first = twilio.post("/forwarding/sms-status", callback(sid, "delivered"))
    again = twilio.post("/forwarding/sms-status", callback(sid, "delivered"))

    assert (first.status_code, first.json) == (200, {"status": "delivered"})
    assert (again.status_code, again.json) == (200, {"status": "unchanged"})
    assert stored(message.id).state == MessageState.DELIVERED


@pytest.mark.parametrize(("status", "code"), [("undelivered", "30007"), ("failed", "30001")])
def test_undelivered_is_resent_once_through_sns(
    sms: SmsSetup, twilio_for: Any, status: str, code: str
) -> None:
    twilio = twilio_for(sms.configure())
    mobile = unique_mobile()
    message = sent_by_twilio(mobile)
    twilio_sid = message.provider_id or ""

    first = twilio.post("/forwarding/sms-status", callback(twilio_sid, status, code))
    twilio.post("/forwarding/sms-status", callback(twilio_sid, status, code))  # Twilio repeats it
    assert first.json == {"status": "resending"}
    assert jobs.wait_idle(30)
    late = twilio.post("/forwarding/sms-status", callback(twilio_sid, status, code))

    row = stored(message.id)
    assert (row.state, row.provider, row.retried_on_fallback) == (MessageState.SENT, "sns", True)
    assert row.attempts == 2
    [resent] = sms.sns.sent(to=mobile)
    assert resent == {
        "message_id": row.provider_id,
        "phone_number": mobile,
        "message": f"{BODY} (#{message.id})",
    }
    assert late.json == {"status": "ignored"}  # the SID is no longer the message's
    assert len(sms.twilio_sent(mobile)) == 1


@pytest.mark.parametrize("code", ["30006", "30004", "30003", "21614"])
def test_a_recipient_level_failure_is_refused_not_resent(
    sms: SmsSetup, twilio_for: Any, code: str
) -> None:
    twilio = twilio_for(sms.configure())
    mobile = unique_mobile()
    message = sent_by_twilio(mobile)

    answer = twilio.post(
        "/forwarding/sms-status", callback(message.provider_id or "", "undelivered", code)
    )
    assert answer.json == {"status": "refused"}
    assert jobs.wait_idle(30)
    row = stored(message.id)
    assert row.state == MessageState.REFUSED and code in (row.last_error or "")
    assert not row.retried_on_fallback and sms.sns.sent(to=mobile) == []
    assert opt_out_of(mobile) is None


def test_an_opt_out_reported_by_the_callback_is_recorded(sms: SmsSetup, twilio_for: Any) -> None:
    twilio = twilio_for(sms.configure())
    mobile = unique_mobile()
    message = sent_by_twilio(mobile)

    twilio.post("/forwarding/sms-status", callback(message.provider_id or "", "failed", "21610"))

    assert stored(message.id).state == MessageState.REFUSED
    opt_out = opt_out_of(mobile)
    assert opt_out is not None and opt_out.source == "twilio"
    assert sms.sns.sent(to=mobile) == []


def test_without_a_fallback_an_undelivered_message_is_failed(
    sms: SmsSetup, twilio_for: Any
) -> None:
    twilio = twilio_for(sms.configure(SMS_FALLBACK_URL=None))
    message = sent_by_twilio(unique_mobile())

    answer = twilio.post(
        "/forwarding/sms-status", callback(message.provider_id or "", "undelivered", "30008")
    )
    assert answer.json == {"status": "failed"}
    row = stored(message.id)
    assert row.state == MessageState.FAILED and "30008" in (row.last_error or "")
    assert not row.retried_on_fallback


def test_an_unknown_sid_is_acknowledged_and_ignored(sms: SmsSetup, twilio_for: Any) -> None:
    twilio = twilio_for(sms.configure())
    message = sent_by_twilio(unique_mobile())

    unknown = "SM" + secrets.token_hex(16)
    answer = twilio.post("/forwarding/sms-status", callback(unknown, "undelivered", "30007"))

    assert (answer.status_code, answer.json) == (200, {"status": "ignored"})
    assert stored(message.id).state == MessageState.SENT


@pytest.mark.parametrize("signature", ["", "dGFtcGVyZWQ="])
def test_an_unsigned_or_tampered_callback_is_refused(
    sms: SmsSetup, twilio_for: Any, signature: str
) -> None:
    twilio = twilio_for(sms.configure())
    message = sent_by_twilio(unique_mobile())

    answer = twilio.post(
        "/forwarding/sms-status",
        callback(message.provider_id or "", "delivered"),
        signature=signature,
    )
    assert answer.status_code == 403
    assert stored(message.id).state == MessageState.SENT


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"MessageSid": "SM123", "MessageStatus": "delivered"}, "MessageSid"),
        ({"MessageSid": "SM" + "a" * 32}, "MessageStatus"),
        ({"MessageSid": "SM" + "a" * 32, "MessageStatus": "failed", "ErrorCode": "x"}, "ErrorCode"),
    ],
)
def test_a_malformed_callback_gets_a_400_that_says_why(
    sms: SmsSetup, twilio_for: Any, params: dict[str, str], complaint: str
) -> None:
    answer = twilio_for(sms.configure()).post("/forwarding/sms-status", params)

    assert answer.status_code == 400 and complaint in answer.json["error"]
