"""Changes to one outage from its page: update, confirm, publish the report (resolving asks
first: outage_resolve.py).

Each change commits whole or not at all: a refused change (OutageError) is rolled back and the
page comes back with the reason, so nothing half-written reaches the audit log or subscribers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash

from app.admin import bp
from app.admin.auth import login_required
from app.admin.outage_forms import ReportForm, UpdateOutageForm
from app.admin.outage_views import admin_actor, outage_or_404, outage_page, redirect_to
from app.core.extensions import db
from app.models import Outage
from app.outages.lifecycle import (
    OutageError,
    confirm_outage,
    publish_report,
    update_outage,
)


def refused(outage: Outage, exc: OutageError, **forms: Any) -> tuple[str, int]:
    """Undo whatever the refused change began and show why, with 409 Conflict."""
    db.session.rollback()
    message = str(exc)
    flash(f"{message[:1].upper()}{message[1:]}.", "error")
    return outage_page(outage, 409, **forms)  # its attributes reload as they are now


def _changes(outage: Outage, form: UpdateOutageForm) -> dict[str, Any]:
    """What the form changes; an ETR left as shown (to the minute) is no change."""
    changes = {k: v for k, v in form.values().items() if getattr(outage, k) != v}
    shown = outage.etr.replace(second=0, microsecond=0) if outage.etr else None
    if "etr" in changes and changes["etr"] == shown:
        del changes["etr"]
    return changes


@bp.post("/outages/<int:outage_id>/update")
@login_required
def update(outage_id: int) -> Any:
    """Change the messages, ETR or state of an active outage."""
    outage = outage_or_404(outage_id)
    form = UpdateOutageForm()
    if not form.validate():
        return outage_page(outage, 400, update_form=form)
    changes = _changes(outage, form)
    etr = changes.get("etr")
    if etr is not None and etr <= datetime.now(UTC):
        form.etr.errors = ["That time has passed; an ETR must be ahead of now (UTC)."]
        return outage_page(outage, 400, update_form=form)
    if not changes:
        flash("Nothing changed.", "info")
        return redirect_to(outage)
    try:
        update_outage(db.session(), outage, actor=admin_actor(), **changes)
    except OutageError as exc:
        return refused(outage, exc, update_form=form)
    db.session.commit()
    flash(f"Outage {outage.id} updated: {', '.join(sorted(changes))}.", "info")
    return redirect_to(outage)


@bp.post("/outages/<int:outage_id>/confirm")
@login_required
def confirm(outage_id: int) -> Any:
    """Confirm an outage Alertmanager or the detector opened: its subscribers are told now."""
    outage = outage_or_404(outage_id)
    try:
        confirmed = confirm_outage(db.session(), outage, actor=admin_actor())
    except OutageError as exc:
        return refused(outage, exc)
    db.session.commit()
    if confirmed:
        flash(f"Outage {outage.id} confirmed; notices are going out.", "info")
    else:
        flash(f"Outage {outage.id} was confirmed already; nothing sent again.", "info")
    return redirect_to(outage)


@bp.post("/outages/<int:outage_id>/report")
@login_required
def report(outage_id: int) -> Any:
    """Publish (or correct) the post-incident report of a resolved outage."""
    outage = outage_or_404(outage_id)
    form = ReportForm()
    if not form.validate():
        return outage_page(outage, 400, report_form=form)
    try:
        published = publish_report(
            db.session(), outage, actor=admin_actor(), report=form.report.data or ""
        )
    except OutageError as exc:
        return refused(outage, exc, report_form=form)
    db.session.commit()
    if published:
        flash(f"Report published for outage {outage.id}; subscribers are being sent it.", "info")
    else:
        flash(f"Outage {outage.id} already has this report; nothing sent again.", "info")
    return redirect_to(outage)
