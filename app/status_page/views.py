"""`/status/<token>`: the outages that affect the link's subscribers, and fresh links by email.

A wrong, altered or revoked link (or one whose subscribers are gone) gets the same 404 and sees
nothing else; a genuine link past its lifetime gets a 410 offering to email a fresh one, which
goes only to the subscribers' own addresses.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Blueprint, Response, current_app, render_template
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db, jobs
from app.core.local_marks import LocalMarks
from app.core.urls import public_url
from app.security.links import LinkInvalid, StatusClaim, read_status_token
from app.status_page.history import live_subscribers, status_view
from app.status_page.tasks import email_status_link
from app.status_page.throttle import EXTENSION, may_renew

log = structlog.get_logger(__name__)

bp = Blueprint("status_page", __name__, template_folder="templates")

MAX_TOKEN_CHARS = 4096  # a link naming the most subscribers is well under this
INVALID = "This link is not valid. Check that it was copied whole from the email."
EXPIRED = "This status link has expired. Links to this page work for {days} days."
RENEWAL = (
    "If this link is yours, a fresh link is on its way to the email address your provider has "
    "for you. It can take a few minutes; asking again sends nothing more for ten minutes."
)
UNAVAILABLE = "This page cannot be shown right now. Please try again in a few minutes."
HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


@bp.record_once
def _keep_local_marks(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(EXTENSION, LocalMarks())


@bp.after_request
def _private(response: Response) -> Response:
    response.headers.update(HEADERS)
    if response.status_code == 503:
        response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    """A page, as for everything else here: people press these buttons, not programs."""
    return notice(413, "Too large", error.description or RequestEntityTooLarge.description)


@bp.get("/status/<token>")
def status(token: str) -> Response:
    """The page, to whoever holds a genuine, unexpired, unrevoked link."""
    claim = _claim(token)
    if claim is None:
        return notice(404, "Link not valid", INVALID)
    try:
        subscribers = db.guarded(lambda: live_subscribers(db.session(), claim))
        if not subscribers:
            return notice(404, "Link not valid", INVALID)
        if claim.expired:
            return _expired(token)
        view = db.guarded(lambda: status_view(db.session(), subscribers))
    except DatabaseUnavailable:
        return notice(503, "Try again shortly", UNAVAILABLE)
    return page(200, "status_page/status.html", view=view)


@bp.post("/status/<token>/renew")
def renew(token: str) -> Response:
    """Email a fresh link to the link's subscribers; the answer never says whether it did."""
    claim = _claim(token)
    if claim is not None:
        try:
            subscribers = db.guarded(lambda: live_subscribers(db.session(), claim))
        except DatabaseUnavailable:
            return notice(503, "Try again shortly", UNAVAILABLE)
        ids = [subscriber.id for subscriber in subscribers]
        if ids and may_renew(ids):
            jobs.enqueue(email_status_link, *ids)
            log.info("fresh status link requested", subscribers=len(ids))
    return notice(200, "Fresh link requested", RENEWAL)


def _claim(token: str) -> StatusClaim | None:
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        return read_status_token(token)
    except LinkInvalid:
        return None


def _expired(token: str) -> Response:
    days = current_app.config["BACKLINE_STATUS_LINK_DAYS"]
    return notice(
        410,
        "Link expired",
        EXPIRED.format(days=days),
        action=public_url(f"/status/{token}/renew"),
        button="Email me a fresh link",
    )


def notice(status: int, title: str, sentence: str, **form: str) -> Response:
    """A short page saying one thing, optionally with a one-button form."""
    return page(status, "status_page/notice.html", title=title, sentence=sentence, **form)


def page(status: int, template: str, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


# Imported last: it adds the unsubscribe routes to `bp`.
from app.status_page import unsubscribe  # noqa: E402, F401
