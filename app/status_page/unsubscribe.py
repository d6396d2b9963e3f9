"""`/unsubscribe/<token>`: RFC 8058 one-click unsubscribe from outage notices.

GET only shows a button (mail scanners follow links; they must not unsubscribe anyone); POST
records the opt-out, whether it comes from that button or from a mail client's one-click
request (`List-Unsubscribe=One-Click`, no cookies, no CSRF token: the signed link is the proof).
Repeating it is harmless. Voicemail emails never look at opt-outs.
"""

from __future__ import annotations

import structlog
from flask import Response
from sqlalchemy.exc import IntegrityError

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db
from app.core.phone import display
from app.core.urls import public_url
from app.models import Channel, OptOut
from app.security.links import LinkInvalid, read_unsubscribe_token
from app.status_page.views import INVALID, MAX_TOKEN_CHARS, UNAVAILABLE, bp, notice, page

log = structlog.get_logger(__name__)

SOURCE = "unsubscribe-link"
ADDRESS_MAX = 320  # the opt_outs.address column (an email address's longest)
DONE = (
    "Done: {address} will get no more outage notices. Your voicemail emails keep coming as "
    "before: unsubscribing never stops your messages."
)


@bp.get("/unsubscribe/<token>")
def confirm_unsubscribe(token: str) -> Response:
    """Ask before acting: a GET changes nothing."""
    target = _target(token)
    if target is None:
        return notice(404, "Link not valid", INVALID)
    return page(
        200,
        "status_page/unsubscribe.html",
        address=_shown(*target),
        action=public_url(f"/unsubscribe/{token}"),
    )


@bp.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response:
    """Stop outage notices to the link's address (idempotent)."""
    target = _target(token)
    if target is None:
        return notice(404, "Link not valid", INVALID)
    try:
        db.guarded(lambda: _opt_out(*target))
    except DatabaseUnavailable:
        return notice(503, "Try again shortly", UNAVAILABLE)
    log.info("unsubscribed from outage notices", channel=target[0])
    return notice(200, "Unsubscribed", DONE.format(address=_shown(*target)))


def _target(token: str) -> tuple[str, str] | None:
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        channel, address = read_unsubscribe_token(token)
    except LinkInvalid:
        return None
    if channel not in set(Channel) or len(address) > ADDRESS_MAX or "\x00" in address:
        return None  # signed with our key, but not by a notice: nothing to opt out of
    return channel, address.strip().lower() if channel == Channel.EMAIL else address.strip()


def _opt_out(channel: str, address: str) -> None:
    session = db.session()
    if session.get(OptOut, (channel, address)) is not None:
        return
    session.add(OptOut(channel=channel, address=address, source=SOURCE))
    try:
        session.commit()
    except IntegrityError:  # a second click got there first: the opt-out stands either way
        session.rollback()


def _shown(channel: str, address: str) -> str:
    return display(address) if channel == Channel.SMS else address
