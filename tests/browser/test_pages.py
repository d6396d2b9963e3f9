"""Every main admin page renders with realistic data, on a desktop and on a phone screen.

With BACKLINE_SCREENSHOTS=1 these tests also save the pictures in docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.models import DeliveryState, Voicemail, utcnow
from app.outages.lifecycle import update_outage
from tests.browser.conftest import ADMIN_PASSWORD, DESKTOP, PHONE, log_in, screenshot
from tests.conftest import TwilioHelper

pytestmark = pytest.mark.slow

PAGES = [
    ("login", "/admin/login"),
    ("dashboard", "/admin/"),
    ("outages", "/admin/outages"),
    ("outage-new", "/admin/outages/new"),
    ("outage", "/admin/outages/{outage}"),
    ("subscribers", "/admin/subscribers"),
    ("voicemails", "/admin/voicemails"),
    ("voicemail", "/admin/voicemails/{voicemail}"),
    ("deliveries", "/admin/deliveries"),
]
CUSTOMERS = [
    ("+14155550100", "Acme Plumbing", "north", "business"),
    ("+14155550101", "Bayside Dental", "north", "business"),
    ("+14155550102", "Corner Bakery", "north", "basic"),
    ("+12125550100", "Delta Law", "south", "business"),
    ("+12125550101", "Eastside Vets", "south", "basic"),
]


@pytest.fixture
def showcase(subscriber: Any, outage: Any, twilio: TwilioHelper) -> dict[str, int]:
    """An outage in the north under way, voicemails left, one email refused: the rows' ids."""
    for number, name, region, plan in CUSTOMERS:
        slug = name.split()[0].lower()
        subscriber(
            number=number, name=name, region=region, plan=plan, emails=[f"office@{slug}.example"]
        )
    current = outage(
        caller_message="Our phones are down in the north. Please leave a message.",
        subscriber_message="Calls in the north go to voicemail; each message is emailed to you.",
        regions=["north"],
    )
    update_outage(
        db.session(), current, actor="admin:noc@provider.example", etr=utcnow() + timedelta(hours=2)
    )
    db.session.commit()
    for to, caller, seconds in [
        ("+14155550100", "+14155550123", 12.0),
        ("+14155550101", "+16505550188", 4.0),
    ]:
        twilio.leave_voicemail(to, seconds=seconds, from_=caller)
    jobs.wait_idle(30)
    refused = db.session.scalars(select(Voicemail).order_by(Voicemail.id.desc())).first()
    assert refused is not None
    refused.deliveries[0].state = DeliveryState.FAILED
    refused.deliveries[0].last_error = "550 5.1.1 <office@bayside.example>: mailbox unavailable"
    db.session.commit()
    return {"outage": current.id, "voicemail": refused.id}


def open_page(page: Page, admin: str, name: str, path: str, ids: dict[str, int]) -> None:
    """Log in (except for the login page) and open `path`; it must answer 200 with a heading."""
    if name != "login":
        log_in(page, admin, ADMIN_PASSWORD)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    response = page.goto(path.format(**ids))
    assert response is not None
    assert response.status == 200, f"{path}: {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")  # live counts and charts have arrived


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_page_renders(
    page: Page, admin_account: str, showcase: dict[str, int], name: str, path: str
) -> None:
    open_page(page, admin_account, name, path, showcase)
    assert page_width(page) <= DESKTOP["width"], "the page scrolls sideways"
    screenshot(page, name)


@pytest.mark.parametrize(
    ("name", "path"),
    [("outage-phone", "/admin/outages/{outage}"), ("outage-new-phone", "/admin/outages/new")],
    ids=["outage", "outage-new"],
)
def test_outage_pages_fit_a_phone_screen(
    page: Page, admin_account: str, showcase: dict[str, int], name: str, path: str
) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, admin_account, name, path, showcase)
    assert page_width(page) <= PHONE["width"], "the page scrolls sideways on a phone"
    main_action = re.compile(r"^(Resolve|Start) outage")
    button = page.get_by_role("button", name=main_action).or_(
        page.get_by_role("link", name=main_action)
    )
    box = button.first.bounding_box()
    assert box is not None, "the page's main button is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(page, name)


def page_width(page: Page) -> int:
    """How wide the page is laid out: wider than the window means sideways scrolling."""
    return int(page.evaluate("() => document.documentElement.scrollWidth"))
