"""CSRF: every form a browser session posts carries the session's token, and no POST without it
(or with a forged one) changes anything.

Three audits, so that a new form or route cannot slip past:
- every `<form method="post">` in every template carries a `csrf_token` field, except the two
  whose authority is a signed link in their URL rather than a cookie (see SIGNED_LINK_FORMS);
- every form on the admin pages, rendered for real, carries a token, and its POST without the
  token, or with a forged one, is refused with 400 and a sentence;
- every POST route of the app is accounted for: admin routes (walked one by one: 400 without
  the token), and routes no cookie can authorise (API bearer tokens, Twilio and SNS signatures,
  signed links), which a logged-in admin's cookie does not open either.
RFC 8058 one-click unsubscribe stays free of CSRF tokens: mail clients POST it with no cookie.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.admin.accounts import set_admin
from app.core.extensions import db
from app.outages.lifecycle import resolve_outage
from app.security.links import status_url, unsubscribe_url
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, browser, log_in
from tests.conftest import PUBLIC_URL
from tests.support.app_state import settle
from tests.support.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [ROOT / "app", ROOT / "ivr", ROOT / "voicemail", ROOT / "forwarding"]
REFUSED = "The form had expired or was sent from elsewhere."

# Forms whose POST is authorised by the signed token in the URL, not by a cookie: a forged
# request needs the token, and with the token no forgery is needed. Mail clients post the
# unsubscribe one (RFC 8058) with no cookie at all.
SIGNED_LINK_FORMS = {"status_page/notice.html", "status_page/unsubscribe.html"}
# POST routes outside the admin UI, by blueprint, and what authorises them instead of a cookie.
NOT_COOKIE_AUTHORISED = {
    "api": "bearer token",
    "ivr": "Twilio signature",
    "voicemail": "Twilio signature",
    "forwarding": "Amazon SNS signature",
    "notice_sms": "Twilio signature",
    "status_page": "signed link",
}
SAME_ANSWER_EITHER_WAY = {"status_page.renew"}  # never says whether the link was genuine


class Forms(HTMLParser):
    """The forms of a page: method, action and the named inputs inside each."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = {
                "method": found.get("method", "get").lower(),
                "action": found.get("action", ""),
                "fields": {},
            }
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and found.get("name"):
            self._open["fields"][found["name"]] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def post_forms(page: TestResponse) -> list[dict[str, Any]]:
    return [form for form in Forms(page.text).forms if form["method"] == "post"]


def assert_refused(response: TestResponse) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert REFUSED in response.text


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    client = browser(app)
    assert log_in(client).status_code == 302
    return client


# Templates ----------------------------------------------------------------------------------------


def template_forms() -> list[tuple[str, str]]:
    """(template name, the text of one POST form) for every template in the packages."""
    form = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
    found = []
    for base in TEMPLATE_DIRS:
        for template in sorted(base.rglob("templates/**/*.html")):
            name = template.relative_to(template.parents[1]).as_posix()
            for match in form.finditer(template.read_text()):
                if re.search(r"method\s*=\s*[\"']?post", match.group(1), re.IGNORECASE):
                    found.append((name, match.group(0)))
    return found


def test_the_template_scan_finds_the_forms_it_should() -> None:
    names = {name for name, _ in template_forms()}
    assert {"admin/base.html", "admin/login.html", "admin/outage.html"} <= names
    assert names >= SIGNED_LINK_FORMS  # the exemptions name forms that exist


@pytest.mark.parametrize(("template", "form"), template_forms())
def test_every_post_form_in_the_templates_carries_a_csrf_token(template: str, form: str) -> None:
    if template in SIGNED_LINK_FORMS:
        assert "csrf_token" not in form  # nothing half-done: these rely on the signed link
        return
    assert "csrf_token" in form, f"a POST form in {template} has no csrf_token field"


# Admin pages, rendered ----------------------------------------------------------------------------


def test_the_login_form_carries_a_token_and_is_refused_without_it(app: Flask) -> None:
    client = browser(app)
    (form,) = post_forms(client.get("/admin/login"))
    assert form["fields"].get("csrf_token")
    fields = {**form["fields"], "email": ADMIN_LOGIN, "password": ADMIN_PASSWORD}
    del fields["csrf_token"]
    assert_refused(client.post(form["action"], data=fields))
    assert_refused(client.post(form["action"], data={**fields, "csrf_token": "forged"}))
    assert client.get("/admin/").status_code == 302  # still logged out


def test_every_form_on_the_admin_pages_carries_a_token_and_is_refused_without_it(
    admin: FlaskClient, subscriber: Any, outage: Any
) -> None:
    acme = subscriber()
    active = outage()
    ended = outage()
    resolve_outage(db.session(), ended, actor="test")
    db.session.commit()
    pages = [
        "/admin/",
        "/admin/outages/new",
        f"/admin/outages/{active.id}",
        f"/admin/outages/{ended.id}",
        "/admin/subscribers/new",
        f"/admin/subscribers/{acme.id}",
        f"/admin/subscribers/{acme.id}/delete",
        "/admin/subscribers/import",
        "/admin/deliveries",
        "/admin/deliveries?tab=notices",
    ]
    checked = set()
    for path in pages:
        page = admin.get(path)
        assert page.status_code == 200, path
        forms = post_forms(page)
        assert forms, f"{path} shows no POST form"
        for form in forms:
            token = form["fields"].pop("csrf_token", None)
            assert token, f"a POST form on {path} (to {form['action']}) has no token"
            assert_refused(admin.post(form["action"], data=form["fields"]))
            forged = {**form["fields"], "csrf_token": token[:-4] + "AAAA"}
            assert_refused(admin.post(form["action"], data=forged))
            checked.add(form["action"].split("?")[0])
    assert len(checked) >= 9  # logout, start, update, resolve, report, add, edit, delete, import…
    assert admin.get(f"/admin/outages/{active.id}").status_code == 200
    assert "Resolve" in admin.get(f"/admin/outages/{active.id}").text  # nothing was resolved


# Routes -------------------------------------------------------------------------------------------


def post_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, a concrete URL) for every route that accepts POST; ids filled in as 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()):
            continue
        values = {name: 1 if name.endswith("_id") else "not-a-token" for name in rule.arguments}
        with app.test_request_context():
            routes.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return routes


def test_every_admin_post_route_refuses_a_request_without_the_token(
    app: Flask, admin: FlaskClient
) -> None:
    admin_routes = [(e, url) for e, url in post_routes(app) if e.startswith("admin.")]
    assert len(admin_routes) >= 15
    for _endpoint, url in admin_routes:
        assert_refused(admin.post(url, data={"anything": "1"}))


def test_every_other_post_route_is_authorised_by_something_no_cookie_carries(
    app: Flask, admin: FlaskClient, smtp: SmtpSink
) -> None:
    for endpoint, url in post_routes(app):
        blueprint = endpoint.partition(".")[0]
        if blueprint == "admin":
            continue
        assert blueprint in NOT_COOKIE_AUTHORISED, (
            f"{url} ({endpoint}) accepts POST: decide what protects it from cross-site requests "
            "(a CSRF token for a browser session, or a credential no cookie carries)"
        )
        answer = admin.post(url, data={"To": "+14155550100"})  # the admin's cookie goes along
        if endpoint in SAME_ANSWER_EITHER_WAY:
            assert answer.status_code == 200
        else:
            assert 400 <= answer.status_code < 500, (url, answer.status_code)
    assert settle()
    assert smtp.messages == []  # not even a fresh status link went out


def test_one_click_unsubscribe_and_fresh_links_work_without_cookie_or_token(
    app: Flask, subscriber: Any
) -> None:
    row = subscriber()
    no_cookie = app.test_client(use_cookies=False)
    unsubscribe = unsubscribe_url("email", "office@acme.example")[len(PUBLIC_URL) :]
    one_click = no_cookie.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "Unsubscribed" in one_click.text
    renew = status_url([row.id])[len(PUBLIC_URL) :] + "/renew"
    assert no_cookie.post(renew).status_code == 200
