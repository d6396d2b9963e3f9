"""Voicemail pages: the filtered list, one voicemail with its deliveries and player, resend."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.admin import bp
from app.admin.auth import login_required
from app.admin.forms import ActionForm
from app.admin.listing import fetch_page, page_number, valid_id
from app.admin.voicemail_filters import STATUSES, read_filters
from app.admin.voicemail_resend import resend_voicemail
from app.core.extensions import db
from app.core.phone import display
from app.models import Subscriber, Voicemail, VoicemailStatus
from app.security.listen_links import listen_url
from forwarding.resend import ResendRefused, queue_resends

PLAYABLE = (VoicemailStatus.STORED, VoicemailStatus.HELD)


@bp.get("/voicemails")
@login_required
def voicemails() -> tuple[str, int]:
    filters = read_filters(request.args)
    query = filters.apply(
        select(Voicemail, Subscriber)
        .outerjoin(Subscriber, Subscriber.id == Voicemail.subscriber_id)
        .options(selectinload(Voicemail.deliveries))
        .order_by(Voicemail.recorded_at.desc(), Voicemail.id.desc())
    )
    page = fetch_page(db.session(), query, page_number(request.args), tuple)
    html = render_template(
        "admin/voicemails.html",
        page=page,
        filters=filters,
        statuses=STATUSES,
        args=filters.query_args(),
        display=display,
        seconds=seconds,
    )
    return html, 400 if filters.errors else 200


@bp.get("/voicemails/<int:voicemail_id>")
@login_required
def voicemail_detail(voicemail_id: int) -> str:
    voicemail = voicemail_or_404(voicemail_id)
    subscriber = (
        db.session.get(Subscriber, voicemail.subscriber_id) if voicemail.subscriber_id else None
    )
    return render_template(
        "admin/voicemail.html",
        voicemail=voicemail,
        subscriber=subscriber,
        listen=_listen_url(voicemail),
        display=display,
        seconds=seconds,
        form=ActionForm(),
    )


@bp.post("/voicemails/<int:voicemail_id>/resend")
@login_required
def voicemail_resend(voicemail_id: int) -> Response:
    voicemail = voicemail_or_404(voicemail_id)
    session = db.session()
    try:
        resends = resend_voicemail(session, voicemail)
    except ResendRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.voicemail_detail", voicemail_id=voicemail.id))
    session.commit()
    queue_resends(resends)
    addresses = ", ".join(r.address for r in resends)
    flash(f"Resending voicemail {voicemail.id} to {addresses} (a new email each).")
    return redirect(url_for("admin.voicemail_detail", voicemail_id=voicemail.id))


def voicemail_or_404(voicemail_id: int) -> Voicemail:
    voicemail = db.session.get(Voicemail, voicemail_id) if valid_id(voicemail_id) else None
    if voicemail is None:
        abort(404, f"There is no voicemail {voicemail_id}.")
    return voicemail


def seconds(voicemail: Voicemail) -> Any:
    """Its length in seconds, measured when known, else as Twilio reported it."""
    if voicemail.duration_ms:
        return round(voicemail.duration_ms / 1000, 1)
    return voicemail.reported_duration


def _listen_url(voicemail: Voicemail) -> str | None:
    """The signed link that plays it, when there is stored audio to play."""
    if voicemail.status in PLAYABLE and voicemail.mp3_key:
        return listen_url(voicemail.id)
    return None
