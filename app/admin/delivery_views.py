"""Deliveries and notifications: voicemail emails and notice messages, failed ones first, with
retry for one or for all that failed."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Row, case, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from app.admin import bp
from app.admin.auth import login_required
from app.admin.forms import ActionForm
from app.admin.listing import AnySelect, fetch_page, page_number, valid_id
from app.core.extensions import db
from app.models import Delivery, MessageState, Notice, NoticeMessage
from app.outages.notices.retry import (
    NoSuchNoticeMessage,
    NoticeRetryRefused,
    failed_count,
    retry_notice_messages,
    retryable_message,
)
from forwarding.resend import (
    FAILED_STATES,
    IN_FLIGHT,
    NoSuchDelivery,
    ResendRefused,
    make_resend,
    queue_resends,
    retryable,
    unretried_failures,
)

TABS = ("emails", "notices")


@bp.get("/deliveries")
@login_required
def deliveries() -> str:
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "emails"
    session = db.session()
    number = page_number(request.args)
    listing = _notices_tab(session, number) if tab == "notices" else _emails_tab(session, number)
    return render_template(
        "admin/deliveries.html",
        tab=tab,
        in_flight=[state.value for state in IN_FLIGHT],
        form=ActionForm(),
        **listing,
    )


def _emails_tab(session: Session, number: int) -> dict[str, Any]:
    """Voicemail emails, failed and bounced first, each with its latest resend if any."""
    page = fetch_page(session, _voicemail_deliveries(), number, _first)
    return {
        "page": page,
        "failed": len(unretried_failures(session)),
        "resent": _resends_of(session, [delivery.id for delivery in page.items]),
    }


def _notices_tab(session: Session, number: int) -> dict[str, Any]:
    """Notice messages with their notice's outage, kind and state, failed first."""
    page = fetch_page(session, _notice_messages(), number, tuple)
    return {"page": page, "failed": failed_count(session), "resent": {}}


def _first(row: Row[Delivery]) -> Delivery:
    return row[0]


def _voicemail_deliveries() -> AnySelect:
    failed_first = case((Delivery.state.in_(FAILED_STATES), 0), else_=1)
    return (
        select(Delivery)
        .options(selectinload(Delivery.attempts_made))
        .order_by(failed_first, Delivery.id.desc())
    )


def _notice_messages() -> AnySelect:
    failed_first = case((NoticeMessage.state == MessageState.FAILED, 0), else_=1)
    return (
        select(NoticeMessage, Notice.outage_id, Notice.kind, Notice.state)
        .join(Notice, Notice.id == NoticeMessage.notice_id)
        .order_by(failed_first, NoticeMessage.id.desc())
    )


def _resends_of(session: Session, delivery_ids: list[int]) -> dict[int, int]:
    """For each of these deliveries that was resent, the id of its latest resend."""
    rows = session.execute(
        select(Delivery.resend_of_id, Delivery.id)
        .where(Delivery.resend_of_id.in_(delivery_ids))
        .order_by(Delivery.id)
    ).all()
    return {original: resend for original, resend in rows if original is not None}


@bp.post("/deliveries/<int:delivery_id>/retry")
@login_required
def retry_delivery(delivery_id: int) -> Response:
    session = db.session()
    try:
        original = retryable(session, delivery_id) if valid_id(delivery_id) else None
    except NoSuchDelivery:
        original = None
    except ResendRefused as exc:
        flash(str(exc), "error")
        return _back("emails")
    if original is None:
        abort(404, f"There is no delivery {delivery_id}.")
    resend = make_resend(session, original)
    session.commit()
    queue_resends([resend])
    flash(f"Delivery {original.id} resent as delivery {resend.id} to {resend.address}.")
    return _back("emails")


@bp.post("/deliveries/retry-failed")
@login_required
def retry_failed_deliveries() -> Response:
    session = db.session()
    resends = [make_resend(session, original) for original in unretried_failures(session)]
    session.commit()
    queue_resends(resends)
    flash(f"{len(resends)} failed or bounced email(s) resent.")
    return _back("emails")


@bp.post("/deliveries/notices/<int:message_id>/retry")
@login_required
def retry_notice_message(message_id: int) -> Response:
    session = db.session()
    try:
        message = retryable_message(session, message_id) if valid_id(message_id) else None
    except NoSuchNoticeMessage:
        message = None
    except NoticeRetryRefused as exc:
        flash(str(exc), "error")
        return _back("notices")
    if message is None:
        abort(404, f"There is no notice message {message_id}.")
    retried = retry_notice_messages(session, [message.id])
    flash(f"Notice message {message_id} queued again." if retried else "Already retried.")
    return _back("notices")


@bp.post("/deliveries/notices/retry-failed")
@login_required
def retry_failed_notice_messages() -> Response:
    retried = retry_notice_messages(db.session())
    flash(f"{retried} failed notice message(s) queued again.")
    return _back("notices")


def _back(tab: str) -> Response:
    return redirect(url_for("admin.deliveries", tab=tab))
