"""What an admin does during an outage, in headless Chromium against Backline over real HTTP:
log in, start a scoped outage watching the affected count, resolve it, play a voicemail, and
retry a failed delivery.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import Delivery, DeliveryState, Outage, OutageState, Voicemail
from tests.browser.conftest import ADMIN_PASSWORD, log_in
from tests.conftest import TwilioHelper
from tests.helpers import wait_until

pytestmark = pytest.mark.slow


def test_login_refuses_a_wrong_password_then_lets_the_admin_in(
    page: Page, admin_account: str
) -> None:
    log_in(page, admin_account, "not the password at all")
    expect(page.get_by_role("status")).to_contain_text("do not match an admin account")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    log_in(page, admin_account, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text(admin_account)).to_be_visible()


def test_a_page_asked_for_before_login_opens_after_it(page: Page, admin_account: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Email").fill(admin_account)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_start_a_scoped_outage_watching_the_count_then_resolve_it(
    admin_page: Page, subscriber: Any
) -> None:
    for n in range(3):
        subscriber(number=f"+1415555010{n}", region="north")
    for n in range(2):
        subscriber(number=f"+1212555010{n}", region="south")
    page = admin_page
    page.goto("/admin/outages")
    page.get_by_role("link", name=re.compile("start an outage", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/admin/outages/new$"))
    count = page.locator("#affected")  # the live count (aria-live), updated as boxes are ticked
    expect(count).to_contain_text("Choose whom this outage affects")
    page.get_by_label("Every subscriber", exact=True).check()
    expect(count).to_contain_text("5 subscribers")
    page.get_by_label("Every subscriber", exact=True).uncheck()
    expect(count).to_contain_text("Choose regions, plans or numbers")
    page.get_by_label("north", exact=True).check()
    expect(count).to_contain_text("3 subscribers")
    page.get_by_label("south", exact=True).check()
    expect(count).to_contain_text("5 subscribers")
    page.get_by_label("south", exact=True).uncheck()
    expect(count).to_contain_text("3 subscribers")
    page.get_by_label("What callers hear").fill("North is down; please leave a message.")
    page.get_by_label("What subscribers are told").fill("Calls in the north go to voicemail.")
    page.get_by_role("button", name="Start outage").click()

    expect(page).to_have_url(re.compile(r"/admin/outages/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("3 subscribers affected")
    [outage] = db.session.scalars(select(Outage)).all()
    assert outage.scope_regions == ["north"]
    assert outage.state == OutageState.INVESTIGATING
    main = page.locator("main")
    expect(main).to_contain_text("North is down; please leave a message.")
    expect(main.get_by_role("heading", level=1)).to_contain_text("investigating")

    page.get_by_role("link", name=f"Resolve outage {outage.id}…").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("Resolve the outage for region north (3 subscribers)?")
    question.get_by_role("button", name=f"Resolve outage {outage.id}").click()
    expect(page.get_by_role("status")).to_contain_text("resolved")
    expect(main.get_by_role("heading", level=1)).to_contain_text("resolved")
    db.session.expire_all()
    assert db.session.get_one(Outage, outage.id).state == OutageState.RESOLVED


def test_a_voicemail_plays_in_the_browser(
    admin_page: Page, twilio: TwilioHelper, subscriber: Any, outage: Any
) -> None:
    voicemail = leave_voicemail(twilio, subscriber, outage, seconds=3.0)
    page = admin_page
    page.goto("/admin/voicemails")
    row = page.locator(f"tr[data-voicemail-id='{voicemail.id}']")
    row.get_by_role(
        "link", name=str(voicemail.id), exact=True
    ).first.click()  # the outage's id may be a link too
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Voicemail {voicemail.id}")
    audio = page.locator("audio")
    expect(audio).to_have_count(1)

    duration = audio.evaluate(PLAY)
    assert duration == pytest.approx(3.0, abs=0.3)
    source = audio.evaluate("audio => audio.currentSrc")
    assert "/voicemail/listen/" in source
    answer = page.request.get(source)
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/mpeg"


# Load the audio, play it until its clock moves, and return its duration; reject on an error.
PLAY = """audio => new Promise((resolve, reject) => {
    audio.addEventListener("error", () => reject(new Error(
        "the audio did not load: MediaError " + (audio.error && audio.error.code))));
    audio.addEventListener("timeupdate", () => {
        if (audio.currentTime > 0) { audio.pause(); resolve(audio.duration); }
    });
    audio.addEventListener("canplay", () => audio.play().catch(reject), {once: true});
    audio.preload = "auto";
    audio.load();
})"""


def test_a_failed_delivery_is_retried_from_the_deliveries_page(
    admin_page: Page, twilio: TwilioHelper, subscriber: Any, outage: Any, smtp: Any
) -> None:
    failed = failed_delivery(twilio, subscriber, outage)
    smtp.clear()
    page = admin_page
    page.goto("/admin/deliveries")
    rows = page.locator("#delivery-list tr[data-delivery-id]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-delivery-id", str(failed.id))  # failed first
    row = rows.filter(has_text="failed")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("550 5.1.1 mailbox unavailable")
    row.get_by_role("button", name="Retry").click()

    expect(page.get_by_role("status")).to_contain_text(f"Delivery {failed.id} resent")
    db.session.expire_all()
    resend = db.session.scalars(select(Delivery).where(Delivery.resend_of_id == failed.id)).one()
    assert resend.address == failed.address
    assert db.session.get_one(Delivery, failed.id).state == DeliveryState.FAILED  # kept as it was
    [email] = smtp.wait_for(1)
    assert email["To"] == failed.address
    page.reload()
    expect(page.locator(f"tr[data-delivery-id='{failed.id}']")).to_contain_text(
        f"resent as {resend.id}"
    )


def leave_voicemail(
    twilio: TwilioHelper, subscriber: Any, outage: Any, seconds: float = 3.0
) -> Voicemail:
    """A caller leaves a voicemail for Acme during an outage; it is stored and emailed."""
    subscriber(number="+14155550100", name="Acme Plumbing", emails=["office@acme.example"])
    outage()
    sid = twilio.leave_voicemail("+14155550100", seconds=seconds)
    return wait_until(lambda: _emailed(sid), timeout=30)  # type: ignore[return-value]


def _emailed(recording_sid: str) -> Voicemail | None:
    """The voicemail once its email has been handed over, else None."""
    db.session.rollback()
    voicemail = db.session.scalars(
        select(Voicemail).where(Voicemail.recording_sid == recording_sid)
    ).one_or_none()
    if voicemail is None or not voicemail.deliveries:
        return None
    return voicemail if jobs.wait_idle(1) else None


def failed_delivery(twilio: TwilioHelper, subscriber: Any, outage: Any) -> Delivery:
    """A voicemail whose email the relay refused for good, then a newer one delivered."""
    voicemail = leave_voicemail(twilio, subscriber, outage)
    [delivery] = voicemail.deliveries
    delivery.state = DeliveryState.FAILED
    delivery.last_error = "550 5.1.1 mailbox unavailable"
    db.session.commit()
    newer = twilio.leave_voicemail("+14155550100", seconds=2.0, from_="+16505550188")
    wait_until(lambda: _emailed(newer), timeout=30)
    return delivery
