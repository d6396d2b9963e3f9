"""The admin pages tell the truth at a glance, in headless Chromium: both chart lines show when
their values are equal, the outage cards never break a word, resolving asks first naming the
scope, and the ETR box shows the UTC, 24-hour time its label promises, whatever the browser's
locale and zone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.core.extensions import db
from app.models import Call, Outage, Voicemail, VoicemailStatus, utcnow
from app.outages.lifecycle import update_outage
from tests.browser.conftest import ADMIN_PASSWORD, DESKTOP, PHONE, log_in
from tests.conftest import ACCOUNT_SID

pytestmark = pytest.mark.slow

LINES = """() => [...document.querySelectorAll('#activity-chart polyline')].map(line => {
    const style = getComputedStyle(line);
    const box = line.getBoundingClientRect();
    return {series: line.getAttribute('class'), stroke: style.stroke,
            width: parseFloat(style.strokeWidth), dash: style.strokeDasharray,
            shown: style.display !== 'none' && style.visibility === 'visible'
                   && parseFloat(style.strokeOpacity) > 0.3 && box.width > 0};
})"""
LEGEND = """() => [...document.querySelectorAll('.legend line')].map(line => {
    const style = getComputedStyle(line);
    return {series: line.getAttribute('class'), stroke: style.stroke, dash: style.strokeDasharray};
})"""
# Which line the browser finds at a point of the baseline, where both series are zero: on it,
# and just off it (inside the wide calls line, outside the thin voicemails line).
HITS = """offset => {
    const svg = document.getElementById('activity-chart');
    svg.scrollIntoView({block: 'center'});  // elementFromPoint sees only the window
    const line = svg.querySelector('polyline.calls');
    const [x0, y0] = line.getAttribute('points').split(' ')[2].split(',').map(Number);
    const [x1] = line.getAttribute('points').split(' ')[40].split(',').map(Number);
    const ctm = svg.getScreenCTM();
    const hits = [];
    for (let x = x0; x < x1; x += 1) {
        const on = new DOMPoint(x, y0).matrixTransform(ctm);
        const off = new DOMPoint(x, y0 + offset).matrixTransform(ctm);
        const name = p => (document.elementFromPoint(p.x, p.y) || {}).getAttribute?.('class');
        hits.push([name(on), name(off)]);
    }
    return hits;
}"""
BROKEN_WORDS = """root => {
    const broken = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const word of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) { broken.push(word[0]); }
        }
    }
    return broken;
}"""


def busy_minutes(minutes: int = 3, per_minute: int = 2) -> None:
    """Calls that all left a voicemail: the two series have the same value every minute."""
    now = utcnow()
    for minute in range(minutes):
        for _ in range(per_minute):
            sid = "CA" + secrets.token_hex(16)
            at = now - timedelta(minutes=minute, seconds=1)
            db.session.add(Call(call_sid=sid, outcome="voicemail", created_at=at, ended_at=at))
            db.session.add(
                Voicemail(
                    recording_sid="RE" + secrets.token_hex(16),
                    account_sid=ACCOUNT_SID,
                    call_sid=sid,
                    status=VoicemailStatus.STORED,
                    recorded_at=at,
                )
            )
    db.session.commit()


def test_the_chart_shows_calls_and_voicemails_when_they_are_equal(admin_page: Page) -> None:
    busy_minutes()
    page = admin_page
    page.goto("/admin/")

    calls, voicemails = page.evaluate(LINES)
    assert (calls["series"], voicemails["series"]) == ("calls", "voicemails")  # calls underneath
    assert calls["shown"] and voicemails["shown"]
    assert calls["stroke"] != voicemails["stroke"]
    assert calls["dash"] == "none" and voicemails["dash"] not in ("none", "")
    assert calls["width"] >= voicemails["width"] + 2  # shows on both sides of the one on top
    assert page.locator("#activity-chart circle.voicemails").count() == 3  # a dot a busy minute
    legend = {entry["series"]: entry for entry in page.evaluate(LEGEND)}
    for line in (calls, voicemails):
        assert (legend[line["series"]]["stroke"], legend[line["series"]]["dash"]) == (
            line["stroke"],
            line["dash"],
        )
    expect(page.locator(".legend")).to_contain_text("Calls: 6")
    expect(page.locator(".legend")).to_contain_text("Voicemails: 6")

    hits = page.evaluate(HITS, (calls["width"] + voicemails["width"]) / 4)
    assert {on for on, _ in hits} >= {"voicemails", "calls"}  # dashes, and the calls in the gaps
    assert {off for _, off in hits} == {"calls"}  # the calls line shows beside the voicemails


@pytest.fixture
def scoped_outage(subscriber: Any, outage: Any) -> Iterator[Outage]:
    """An outage of one subscriber in region us-west, with an ETR."""
    subscriber(number="+14155550100", region="us-west", name="Acme Plumbing")
    subscriber(number="+14155550101", region="us-east")
    row = outage(regions=["us-west"])
    update_outage(db.session(), row, actor="test", etr=utcnow() + timedelta(hours=2))
    db.session.commit()
    yield row


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_outage_cards_never_break_a_word(
    admin_page: Page, scoped_outage: Outage, viewport: Any
) -> None:
    page = admin_page
    page.set_viewport_size(viewport)
    page.goto(f"/admin/outages/{scoped_outage.id}")
    cards = page.locator(".cards .card")
    expect(cards.first).to_contain_text("1")
    expect(cards.first).to_contain_text("subscriber")

    for index in range(cards.count()):
        card = cards.nth(index)
        assert card.evaluate(BROKEN_WORDS) == [], card.inner_text()
        assert card.evaluate("c => c.scrollWidth <= c.clientWidth + 1"), card.inner_text()


def test_resolve_is_near_the_top_and_asks_naming_the_scope(
    admin_page: Page, scoped_outage: Outage
) -> None:
    page = admin_page
    path = f"/admin/outages/{scoped_outage.id}"
    page.goto(path)
    resolve = page.get_by_role("link", name=f"Resolve outage {scoped_outage.id}…")
    resolve_box, cards_box = resolve.bounding_box(), page.locator(".cards").bounding_box()
    assert resolve_box and cards_box and resolve_box["y"] < cards_box["y"]
    assert resolve_box["y"] + resolve_box["height"] < DESKTOP["height"]  # seen without scrolling

    resolve.click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("Resolve the outage for region us-west (1 subscriber)?")
    expect(question).to_contain_text("they will be told service is back")
    question.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"{path}$"))
    db.session.expire_all()
    assert db.session.get_one(Outage, scoped_outage.id).is_active

    resolve.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Resolve outage").click()
    expect(page.get_by_role("status")).to_contain_text(f"Outage {scoped_outage.id} resolved")
    db.session.expire_all()
    assert not db.session.get_one(Outage, scoped_outage.id).is_active


def test_the_etr_box_shows_utc_on_a_24_hour_clock_in_any_locale(
    browser: Browser, live_url: str, admin_account: str, scoped_outage: Outage
) -> None:
    context = browser.new_context(
        base_url=live_url, viewport=DESKTOP, locale="en-US", timezone_id="America/Los_Angeles"
    )
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, admin_account, ADMIN_PASSWORD)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.goto(f"/admin/outages/{scoped_outage.id}")
        etr = page.get_by_label(re.compile(r"^Estimated time of restoration"))
        label = page.locator("label[for=etr]").inner_text()
        assert "UTC" in label and "24-hour" in label and "YYYY-MM-DD HH:MM" in label
        assert etr.get_attribute("type") == "text"
        assert scoped_outage.etr is not None
        expect(etr).to_have_value(scoped_outage.etr.strftime("%Y-%m-%d %H:%M"))
        assert not re.search(r"AM|PM", etr.input_value())

        day = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
        etr.fill(f"{day} 18:30")
        page.get_by_role("button", name="Update outage").click()
        expect(page.get_by_role("status")).to_contain_text("etr")
        expect(etr).to_have_value(f"{day} 18:30")
        db.session.expire_all()
        stored = db.session.get_one(Outage, scoped_outage.id).etr
        assert stored is not None and stored.strftime("%Y-%m-%d %H:%M") == f"{day} 18:30"
    finally:
        context.close()
