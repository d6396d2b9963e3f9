"""Voicemail and delivery pages: filters, the in-browser player's signed link, resend, and retry
of failed voicemail emails and notice messages, one or all, each ending at the SMTP sink."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import (
    Delivery,
    DeliveryState,
    MessageState,
    Notice,
    NoticeMessage,
    NoticeState,
    Voicemail,
    VoicemailStatus,
    utcnow,
)
from tests.app.admin.conftest import csrf
from tests.conftest import ACCOUNT_SID, PUBLIC_URL, TwilioHelper
from tests.support.smtp import SmtpSink


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-voicemail-id="(\d+)"', page)]


def stored_voicemail(**fields: Any) -> Voicemail:
    """A bare voicemail row (no audio) for the list's filters."""
    row = Voicemail(
        recording_sid="RE" + secrets.token_hex(16),
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        status=fields.pop("status", VoicemailStatus.STORED),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def emailed_voicemail(twilio: TwilioHelper, smtp: SmtpSink, to: str) -> Voicemail:
    """A voicemail through the whole pipeline, its email at the sink (then cleared)."""
    recording_sid = twilio.leave_voicemail(to)
    jobs.wait_idle(30)
    smtp.wait_for(1)
    smtp.clear()
    row = db.session.scalars(select(Voicemail).filter_by(recording_sid=recording_sid)).one()
    assert row.deliveries[0].state == DeliveryState.ACCEPTED
    return row


def fail(delivery: Delivery, state: DeliveryState = DeliveryState.FAILED) -> None:
    delivery.state, delivery.last_error = state, "recipient refused: 550 5.1.1 User unknown"
    db.session.commit()


def post(client: FlaskClient, path: str, page: str = "/admin/deliveries") -> Any:
    return client.post(path, data={"csrf_token": csrf(client, page)}, follow_redirects=True)


def test_voicemail_filters_and_pages(
    admin_client: FlaskClient, subscriber: Any, outage: Any
) -> None:
    acme = subscriber(number="+14155550100")
    other = subscriber(number="+14155550101", emails=["x@other.example"])
    during = outage()
    now = utcnow()
    old = stored_voicemail(subscriber_id=acme.id, recorded_at=now - timedelta(days=3))
    new = stored_voicemail(subscriber_id=acme.id, recorded_at=now, outage_id=during.id)
    failed = stored_voicemail(subscriber_id=other.id, status=VoicemailStatus.FAILED)
    day = (now - timedelta(days=3)).date().isoformat()

    def ids(query: str) -> list[int]:
        answer = admin_client.get(f"/admin/voicemails{query}")
        assert answer.status_code == 200, answer.text
        return listed(answer.text)

    assert set(ids("")) == {old.id, new.id, failed.id}
    assert ids("?status=failed") == [failed.id]
    assert ids("?number=%2B1%20415%20555%200100") == [new.id, old.id]
    assert ids(f"?from={day}&to={day}") == [old.id]
    assert ids(f"?outage={during.id}") == [new.id]
    assert ids(f"?number=%2B14155550100&status=stored&outage={during.id}") == [new.id]

    bad = admin_client.get("/admin/voicemails?from=yesterday&number=12&outage=x&status=nope")
    assert bad.status_code == 400
    for field in ("From must be a date", "Subscriber number", "Outage must be", "Status must be"):
        assert field in bad.text

    for _ in range(50):
        db.session.add(
            Voicemail(
                recording_sid="RE" + secrets.token_hex(16),
                account_sid="AC",
                call_sid="CA" + secrets.token_hex(16),
                recorded_at=now,
            )
        )
    db.session.commit()
    first, second = admin_client.get("/admin/voicemails"), ids("?page=2")
    assert len(listed(first.text)) == 50 and "page=2" in first.text
    assert len(second) == 3 and old.id in second


def test_a_voicemail_plays_in_the_browser_and_resends(
    admin_client: FlaskClient, twilio: TwilioHelper, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100", name="Acme Dental", emails=["office@acme.example"])
    outage()
    row = emailed_voicemail(twilio, smtp, "+14155550100")

    page = admin_client.get(f"/admin/voicemails/{row.id}")

    assert page.status_code == 200
    assert "+1 415-555-0123" in page.text and "Acme Dental" in page.text
    source = re.search(r'<audio controls[^>]* src="([^"]+)"', page.text)
    assert source and source.group(1).startswith(PUBLIC_URL + "/voicemail/listen/")
    played = admin_client.get(source.group(1).removeprefix(PUBLIC_URL))
    assert played.status_code == 200 and played.mimetype == "audio/mpeg"
    assert played.data[:3] == b"ID3" or played.data[:2] == b"\xff\xfb"

    answer = post(admin_client, f"/admin/voicemails/{row.id}/resend", f"/admin/voicemails/{row.id}")

    assert "Resending voicemail" in answer.text
    jobs.wait_idle(30)
    [email] = smtp.wait_for(1)
    assert email["To"] == "office@acme.example"
    db.session.expire_all()
    original, resend = db.session.get_one(Voicemail, row.id).deliveries
    assert resend.resend_of_id == original.id and resend.state == DeliveryState.ACCEPTED
    assert resend.message_id != original.message_id


def test_retry_one_failed_delivery(
    admin_client: FlaskClient, twilio: TwilioHelper, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    delivered = emailed_voicemail(twilio, smtp, "+14155550100")
    failed = delivered.deliveries[0]
    fail(failed)
    accepted = emailed_voicemail(twilio, smtp, "+14155550100").deliveries[0]

    page = admin_client.get("/admin/deliveries").text

    rows = re.findall(r'data-delivery-id="(\d+)"', page)
    assert rows[0] == str(failed.id)  # failed first, though older
    assert "550 5.1.1 User unknown" in page and "Retry all failed (1)" in page

    answer = post(admin_client, f"/admin/deliveries/{failed.id}/retry")

    assert f"Delivery {failed.id} resent as delivery" in answer.text
    jobs.wait_idle(30)
    assert smtp.wait_for(1)[0]["To"] == "office@acme.example"
    resends = db.session.scalars(select(Delivery).filter_by(resend_of_id=failed.id)).all()
    assert [r.state for r in resends] == [DeliveryState.ACCEPTED]
    assert accepted.id not in {r.resend_of_id for r in db.session.scalars(select(Delivery))}
    assert "Retry all failed (0)" in admin_client.get("/admin/deliveries").text


def test_retry_all_failed_deliveries(
    admin_client: FlaskClient, twilio: TwilioHelper, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    subscriber(number="+14155550100")
    outage()
    first = emailed_voicemail(twilio, smtp, "+14155550100").deliveries[0]
    second = emailed_voicemail(twilio, smtp, "+14155550100").deliveries[0]
    fail(first)
    fail(second, DeliveryState.BOUNCED)

    answer = post(admin_client, "/admin/deliveries/retry-failed")

    assert "2 failed or bounced email(s) resent" in answer.text
    jobs.wait_idle(30)
    assert len(smtp.wait_for(2)) == 2
    resent = db.session.scalars(
        select(Delivery.resend_of_id).where(Delivery.resend_of_id.is_not(None))
    )
    assert sorted(resent) == sorted([first.id, second.id])


def failed_notice(subscriber: Any, outage: Any) -> tuple[Notice, NoticeMessage]:
    """A start notice whose only email failed; the notice itself finished."""
    subscriber(number="+14155550100", emails=["office@acme.example"])
    started = outage()
    notice = db.session.scalars(select(Notice).filter_by(outage_id=started.id)).one()
    message = db.session.scalars(select(NoticeMessage).filter_by(notice_id=notice.id)).one()
    assert notice.state == NoticeState.DONE and message.state == MessageState.SENT
    message.state, message.attempts = MessageState.FAILED, 12
    message.last_error = "gave up after 12: 451 try again later"
    db.session.commit()
    return notice, message


def test_retry_one_failed_notice_email(
    admin_client: FlaskClient, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    notice, message = failed_notice(subscriber, outage)

    page = admin_client.get("/admin/deliveries?tab=notices").text
    assert "451 try again later" in page and "Retry all failed (1)" in page

    answer = post(admin_client, f"/admin/deliveries/notices/{message.id}/retry")

    assert f"Notice message {message.id} queued again" in answer.text
    jobs.wait_idle(30)
    assert smtp.wait_for(1)[0]["To"] == "office@acme.example"
    db.session.expire_all()
    assert db.session.get_one(NoticeMessage, message.id).state == MessageState.SENT
    assert db.session.get_one(Notice, notice.id).state == NoticeState.DONE
    again = post(admin_client, f"/admin/deliveries/notices/{message.id}/retry")
    assert "only failed messages are retried" in again.text


def test_retry_all_failed_notice_messages_reopens_the_notice_for_sms(
    admin_client: FlaskClient, smtp: SmtpSink, subscriber: Any, outage: Any
) -> None:
    notice, email = failed_notice(subscriber, outage)
    sms = NoticeMessage(
        notice_id=notice.id,
        channel="sms",
        address="+14155550199",
        state=MessageState.FAILED,
        attempts=3,
        last_error="provider down",
    )
    db.session.add(sms)
    db.session.commit()

    answer = post(admin_client, "/admin/deliveries/notices/retry-failed")

    assert "2 failed notice message(s) queued again" in answer.text
    db.session.expire_all()
    assert db.session.get_one(NoticeMessage, sms.id).state == MessageState.PENDING
    assert db.session.get_one(NoticeMessage, sms.id).attempts == 0
    assert db.session.get_one(Notice, notice.id).state == NoticeState.SENDING  # for the pacer
    jobs.wait_idle(30)
    assert smtp.wait_for(1)[0]["To"] == "office@acme.example"
    db.session.expire_all()
    assert db.session.get_one(NoticeMessage, email.id).state == MessageState.SENT


def test_unknown_ids_are_404(admin_client: FlaskClient) -> None:
    token = csrf(admin_client, "/admin/deliveries")
    assert admin_client.get("/admin/voicemails/999").status_code == 404
    assert admin_client.get(f"/admin/voicemails/{10**20}").status_code == 404
    for path in (
        "/admin/deliveries/999/retry",
        "/admin/deliveries/notices/999/retry",
        f"/admin/deliveries/{10**20}/retry",
        "/admin/voicemails/999/resend",
    ):
        assert admin_client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert admin_client.get("/admin/voicemails?page=99999999999999999999").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/deliveries/retry-failed",
        "/admin/deliveries/notices/retry-failed",
        "/admin/voicemails/1/resend",
        "/admin/deliveries/1/retry",
    ],
)
def test_posts_without_csrf_are_refused(admin_client: FlaskClient, path: str) -> None:
    assert admin_client.post(path).status_code == 400


@pytest.mark.parametrize(
    "path", ["/admin/voicemails", "/admin/voicemails/1", "/admin/deliveries?tab=notices"]
)
def test_pages_need_a_login(app: Flask, path: str) -> None:
    answer = app.test_client().get(path)
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
