"""Resolving an outage from its page, after a confirmation that names whom it covers.

As the start form does, the form carries the affected count the admin was shown, and the outage
is resolved only when that is still its count; a POST without it (or with an older count) gets
the question instead, so nobody resolves an outage without reading whom it ends for.
"""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request

from app.admin import bp
from app.admin.auth import login_required
from app.admin.forms import ActionForm
from app.admin.outage_actions import refused
from app.admin.outage_scope import scope_phrase
from app.admin.outage_views import admin_actor, outage_or_404, redirect_to
from app.core.extensions import db
from app.models import Outage
from app.outages.affected import affected_count
from app.outages.lifecycle import OutageError, resolve_outage


def confirmation_page(outage: Outage, count: int) -> str:
    """The question: resolve the outage for this scope (N subscribers)?"""
    return render_template(
        "admin/outage_resolve.html",
        outage=outage,
        count=count,
        scope=scope_phrase(outage),
        action_form=ActionForm(formdata=None),
    )


@bp.get("/outages/<int:outage_id>/resolve")
@login_required
def resolve_confirmation(outage_id: int) -> Any:
    """Ask before resolving; a resolved outage just shows its page."""
    outage = outage_or_404(outage_id)
    if not outage.is_active:
        flash(f"Outage {outage.id} is already resolved.", "info")
        return redirect_to(outage)
    return confirmation_page(outage, affected_count(db.session(), outage))


@bp.post("/outages/<int:outage_id>/resolve")
@login_required
def resolve(outage_id: int) -> Any:
    """Resolve the outage once its count was seen; calls pass through to the primary again."""
    outage = outage_or_404(outage_id)
    count = affected_count(db.session(), outage)
    if outage.is_active and request.form.get("seen_count") != str(count):
        return confirmation_page(outage, count)
    try:
        resolve_outage(db.session(), outage, actor=admin_actor())
    except OutageError as exc:
        return refused(outage, exc)
    db.session.commit()
    flash(f"Outage {outage.id} resolved; calls pass through again.", "info")
    return redirect_to(outage)
