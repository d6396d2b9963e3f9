"""One-click unsubscribe (RFC 8058): GET only asks, POST stops outage notices, and voicemail
emails keep coming."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import OptOut
from app.security.links import unsubscribe_url
from tests.app.status_page.test_status_page import assert_private, database_down, link, path_of
from tests.conftest import PUBLIC_URL, SmtpSink, TwilioHelper
from tests.helpers import wait_until

ADDRESS = "office@acme.example"
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


def opt_outs() -> list[tuple[str, str, str]]:
    db.session.rollback()  # see what the request committed
    rows = db.session.scalars(select(OptOut).order_by(OptOut.channel, OptOut.address))
    return [(row.channel, row.address, row.source) for row in rows]


@pytest.fixture
def email_link(app: Flask) -> str:
    return path_of(unsubscribe_url("email", ADDRESS))


def test_get_asks_with_a_button_and_changes_nothing(client: FlaskClient, email_link: str) -> None:
    page = client.get(email_link)

    assert page.status_code == 200
    assert_private(page)
    assert ADDRESS in page.text
    assert '<form method="post"' in page.text
    assert f'action="{PUBLIC_URL}{email_link}"' in page.text
    assert "voicemail emails are not affected" in page.text
    assert opt_outs() == []


def test_posting_the_form_stops_notices_and_says_voicemail_keeps_coming(
    client: FlaskClient, email_link: str
) -> None:
    answer = client.post(email_link, data={"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 200
    assert_private(answer)
    assert f"{ADDRESS} will get no more outage notices" in answer.text
    assert "voicemail emails keep coming" in answer.text
    assert opt_outs() == [("email", ADDRESS, "unsubscribe-link")]


def test_a_mail_clients_one_click_post_works_without_cookies_and_can_repeat(
    app: Flask, email_link: str
) -> None:
    mail_client = app.test_client(use_cookies=False)

    first = mail_client.post(email_link, data=ONE_CLICK, content_type=FORM)
    second = mail_client.post(email_link, data=ONE_CLICK, content_type=FORM)

    assert first.status_code == second.status_code == 200
    assert opt_outs() == [("email", ADDRESS, "unsubscribe-link")]


def test_an_address_in_other_case_is_recorded_as_notices_write_it(
    client: FlaskClient, app: Flask
) -> None:
    mixed = path_of(unsubscribe_url("email", "Office@ACME.example"))

    assert client.post(mixed, data=ONE_CLICK, content_type=FORM).status_code == 200
    assert opt_outs() == [("email", ADDRESS, "unsubscribe-link")]


def test_an_sms_link_shows_the_number_formatted(client: FlaskClient, app: Flask) -> None:
    sms_link = path_of(unsubscribe_url("sms", "+14155550100"))

    assert "+1 415-555-0100" in client.get(sms_link).text
    assert client.post(sms_link, data=ONE_CLICK, content_type=FORM).status_code == 200
    assert opt_outs() == [("sms", "+14155550100", "unsubscribe-link")]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda s: "/unsubscribe/not-a-token", id="wrong"),
        pytest.param(lambda s: "/unsubscribe/" + link(s).split("/")[-1], id="status-token"),
        pytest.param(
            lambda s: path_of(unsubscribe_url("email", ADDRESS))[:-3] + "xyz", id="tampered"
        ),
    ],
)
def test_a_link_that_is_not_valid_gets_404_and_records_nothing(
    client: FlaskClient, subscriber: Any, make: Any
) -> None:
    target = make(subscriber())

    for answer in (client.get(target), client.post(target, data=ONE_CLICK, content_type=FORM)):
        assert answer.status_code == 404
        assert_private(answer)
        assert "This link is not valid" in answer.text
        assert "<form" not in answer.text
    assert opt_outs() == []


def test_with_the_database_down_the_post_says_try_again(
    app: Flask, client: FlaskClient, email_link: str
) -> None:
    with database_down(app):
        answer = client.post(email_link, data=ONE_CLICK, content_type=FORM)

    assert answer.status_code == 503
    assert "try again in a few minutes" in answer.text
    assert "Traceback" not in answer.text
    assert opt_outs() == []


def test_voicemail_emails_still_arrive_after_unsubscribing(
    client: FlaskClient,
    email_link: str,
    twilio: TwilioHelper,
    subscriber: Any,
    outage: Any,
    smtp: SmtpSink,
) -> None:
    subscriber(number="+14155550100", emails=[ADDRESS])
    assert client.post(email_link, data=ONE_CLICK, content_type=FORM).status_code == 200
    outage()

    twilio.leave_voicemail("+14155550100", seconds=2)

    def voicemail_email() -> list[Any]:
        return [
            m
            for m in smtp.messages
            if any(p.get_content_type() == "audio/mpeg" for p in m.iter_attachments())
        ]

    wait_until(voicemail_email, timeout=60)
    assert jobs.wait_idle(30)
    (message,) = voicemail_email()
    assert message["To"] == ADDRESS
