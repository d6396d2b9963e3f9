"""Sending one notice SMS: Twilio (the local stand-in) first, SNS (moto) when Twilio itself fails,
refusals final, opt-outs honoured on both providers, claims that keep two workers from sending
one message twice. Messages are counted where they land.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from app.core.config import DEV_AUTH_TOKEN
from app.core.extensions import db
from app.models import MessageState, NoticeMessage
from app.outages.notices.sms_delivery import (
    MAX_SMS_ATTEMPTS,
    deliver_sms,
    import_opt_outs,
    import_sns_opt_outs,
)
from app.twilio.simulator.media_server import MediaServer
from forwarding.sms import SnsSms, TwilioSms, providers_from_config
from forwarding.sms_outbox import OutboxSms
from tests.conftest import PUBLIC_URL
from tests.helpers import free_port
from tests.support.aws import SnsServer
from tests.support.sms import (
    SmsSetup,
    new_notice,
    opt_out_of,
    pending_sms,
    sms_setup,
    stored,
    unique_mobile,
)

BODY = "Our phone platform is down. Calls go to voicemail, sent to you by email."
SERVICE_SID = "MG" + "0" * 32
# Twilio's magic test sender, which Twilio's test credentials accept; the stand-in accepts any.
DEV_SMS_FROM = "+15005550006"


@pytest.fixture
def sms(
    app: Flask,
    settings: dict[str, Any],
    media: MediaServer,
    sns: SnsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SmsSetup]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sns.url)
    with sms_setup(settings, media, sns) as setup:
        yield setup


@pytest.fixture
def mobile() -> str:
    return unique_mobile()


def test_twilio_sends_it_from_the_sender_with_the_status_callback(
    sms: SmsSetup, mobile: str
) -> None:
    sms.configure()
    message = pending_sms(mobile)
    deliver_sms(message, BODY)

    [sent] = sms.twilio_sent(mobile)
    assert (sent["from"], sent["body"]) == ("+14155550000", BODY)
    assert sent["status_callback"] == f"{PUBLIC_URL}/forwarding/sms-status"
    row = stored(message.id)
    assert (row.state, row.provider, row.provider_id) == (MessageState.SENT, "twilio", sent["sid"])
    assert row.attempts == 1 and row.sent_at is not None and row.last_error is None
    assert sms.sns.sent(to=mobile) == []


def test_a_messaging_service_picks_the_sender(sms: SmsSetup, mobile: str) -> None:
    sms.configure(TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID)
    deliver_sms(pending_sms(mobile), BODY)

    [sent] = sms.twilio_sent(mobile)
    assert (sent["messaging_service_sid"], sent["from"]) == (SERVICE_SID, None)


@pytest.mark.parametrize(
    ("outage", "overrides"),
    [
        pytest.param(20500, {}, id="http-500"),
        pytest.param(20503, {}, id="http-503"),
        pytest.param(20429, {}, id="throttled-429"),
        pytest.param(20003, {}, id="auth-401"),
        pytest.param(21611, {}, id="sender-queue-full"),
        pytest.param(None, {"TWILIO_AUTH_TOKEN": "revoked"}, id="wrong-credentials"),
        pytest.param(None, {"TWILIO_API_URL": f"http://127.0.0.1:{free_port()}"}, id="no-answer"),
    ],
)
def test_a_failing_twilio_hands_the_message_to_sns(
    sms: SmsSetup, mobile: str, outage: int | None, overrides: dict[str, str]
) -> None:
    sms.configure(**overrides)
    sms.media.state.sms.outage = outage
    message = pending_sms(mobile)
    deliver_sms(message, BODY)

    row = stored(message.id)
    assert (row.state, row.provider) == (MessageState.SENT, "sns")
    [carried] = sms.sns.sent(message_id=row.provider_id)
    assert (carried["phone_number"], carried["message"]) == (mobile, BODY)
    assert sms.twilio_sent(mobile) == []
    assert row.attempts == 1


def test_an_opt_out_at_twilio_is_final_and_honoured_on_both_providers(
    sms: SmsSetup, mobile: str
) -> None:
    sms.configure()
    sms.media.state.sms.refusals[mobile] = 21610
    first = pending_sms(mobile)
    deliver_sms(first, BODY)

    row = stored(first.id)
    assert (row.state, row.provider) == (MessageState.REFUSED, "twilio")
    assert "21610" in (row.last_error or "")
    opt_out = opt_out_of(mobile)
    assert opt_out is not None and opt_out.source == "twilio"
    assert sms.sns.sent(to=mobile) == []

    del sms.media.state.sms.refusals[mobile]  # whatever Twilio would say now, nobody is asked
    later = pending_sms(mobile, new_notice())
    deliver_sms(later, BODY)
    row = stored(later.id)
    assert (row.state, row.last_error, row.attempts) == (MessageState.REFUSED, "opted out", 0)
    assert sms.twilio_sent(mobile) == [] and sms.sns.sent(to=mobile) == []


def test_an_opt_out_at_sns_is_refused_and_recorded(sms: SmsSetup) -> None:
    sms.configure()
    sms.media.state.sms.outage = 20503
    opted_out = "+14155550199"  # moto: every number ending in 99 has opted out
    message = pending_sms(opted_out)
    deliver_sms(message, BODY)

    row = stored(message.id)
    assert (row.state, row.provider) == (MessageState.REFUSED, "sns")
    opt_out = opt_out_of(opted_out)
    assert opt_out is not None and opt_out.source == "sns"
    assert sms.sns.sent(to=opted_out) == []

    sms.media.state.sms.outage = None  # Twilio is back: it is not asked either
    deliver_sms(pending_sms(opted_out, new_notice()), BODY)
    assert sms.twilio_sent(opted_out) == []


@pytest.mark.parametrize("code", [21614, 21211, 21612])
def test_a_recipient_twilio_refuses_is_not_tried_on_sns(
    sms: SmsSetup, mobile: str, code: int
) -> None:
    sms.configure()
    sms.media.state.sms.refusals[mobile] = code
    message = pending_sms(mobile)
    deliver_sms(message, BODY)

    row = stored(message.id)
    assert row.state == MessageState.REFUSED and str(code) in (row.last_error or "")
    assert sms.sns.sent(to=mobile) == []
    assert opt_out_of(mobile) is None  # a landline has not opted out of anything


def test_a_number_sns_refuses_is_final(sms: SmsSetup) -> None:
    sms.configure()
    sms.media.state.sms.outage = 20500
    message = pending_sms("+0415555014")  # not E.164: SNS answers InvalidParameter
    deliver_sms(message, BODY)

    row = stored(message.id)
    assert (row.state, row.provider) == (MessageState.REFUSED, "sns")
    assert "InvalidParameter" in (row.last_error or "")


def test_both_providers_down_leaves_it_pending_then_failed(
    sms: SmsSetup, mobile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    sms.configure()
    sms.media.state.sms.outage = 20503
    message = pending_sms(mobile)
    for attempt in range(1, MAX_SMS_ATTEMPTS):
        deliver_sms(stored(message.id), BODY)
        row = stored(message.id)
        assert (row.state, row.attempts) == (MessageState.PENDING, attempt)
        assert "twilio 20503" in (row.last_error or "") and "sns" in (row.last_error or "")

    deliver_sms(stored(message.id), BODY)
    row = stored(message.id)
    assert (row.state, row.attempts) == (MessageState.FAILED, MAX_SMS_ATTEMPTS)
    deliver_sms(row, BODY)  # a failed message is left alone
    assert stored(message.id).attempts == MAX_SMS_ATTEMPTS
    assert sms.twilio_sent(mobile) == []


def test_a_message_another_worker_claimed_is_not_sent(sms: SmsSetup, mobile: str) -> None:
    sms.configure()
    message = pending_sms(mobile)
    db.session.execute(  # another worker's claim; this session's copy still says pending
        update(NoticeMessage)
        .where(NoticeMessage.id == message.id)
        .values(state=MessageState.SENDING, attempts=1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert message.state == MessageState.PENDING
    deliver_sms(message, BODY)

    assert sms.twilio_sent(mobile) == []
    assert (stored(message.id).state, stored(message.id).attempts) == (MessageState.SENDING, 1)


def test_concurrent_workers_send_one_message_once(sms: SmsSetup, mobile: str) -> None:
    configured = sms.configure()
    message_id = pending_sms(mobile).id
    start = threading.Barrier(4)

    def worker() -> None:
        with configured.app_context():
            message = db.session.get_one(NoticeMessage, message_id)
            start.wait()
            deliver_sms(message, BODY)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(sms.twilio_sent(mobile)) == 1
    assert (stored(message_id).state, stored(message_id).attempts) == (MessageState.SENT, 1)


def test_the_providers_follow_the_configuration(sms: SmsSetup) -> None:
    app = sms.configure()
    base = {**app.config, "SMS_FROM": None, "SMS_FALLBACK_URL": None}

    assert providers_from_config(base) == []  # real credentials and no sender: no Twilio
    development = {**base, "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN}
    [outbox] = providers_from_config(development)  # no real Twilio, no sender: the text outbox
    assert isinstance(outbox, OutboxSms)
    [twilio] = providers_from_config({**development, "SMS_FROM": DEV_SMS_FROM})
    assert isinstance(twilio, TwilioSms) and twilio.sender == DEV_SMS_FROM  # the local stand-in
    names = [p.name for p in providers_from_config({**base, "SMS_FALLBACK_URL": "sns://eu-west-1"})]
    assert names == ["sns"]
    assert [p.name for p in providers_from_config(app.config)] == ["twilio", "sns"]


def test_numbers_sns_lists_as_opted_out_are_recorded_once(sms: SmsSetup) -> None:
    sms.configure()
    listed = list(SnsSms(sms.sns.region).opted_out_numbers())
    assert listed

    assert import_opt_outs(listed, "sns") == len(listed)
    assert import_opt_outs(listed, "sns") == 0
    message = pending_sms(listed[0])
    deliver_sms(message, BODY)
    assert stored(message.id).state == MessageState.REFUSED
    assert sms.twilio_sent(listed[0]) == []


def test_the_periodic_import_copies_sns_opt_outs_once(sms: SmsSetup) -> None:
    sms.configure()
    listed = set(SnsSms(sms.sns.region).opted_out_numbers())
    assert listed
    new = listed - set(_known_opt_outs())
    assert import_sns_opt_outs() == len(new)
    assert listed <= set(_known_opt_outs())
    assert import_sns_opt_outs() == 0


def _known_opt_outs() -> list[str]:
    from sqlalchemy import select

    from app.models import OptOut

    return list(db.session.scalars(select(OptOut.address)))
