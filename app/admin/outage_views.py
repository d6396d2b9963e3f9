"""Outage pages: the list, starting one (with a live count of whom it affects) and one outage.

Starting asks for a confirmation the admin cannot skip by accident: the form carries the
affected count the page last showed (the inline script keeps it current), and the outage
starts only when that count is still the count for the scope being submitted. Otherwise the
form comes back showing the new count, so nobody starts an outage without seeing whom it hits.
The scope follows the rules of `app.scope_rules`, as the CLI and API do: every subscriber is a
box to tick, never an empty scope, and a scope that matches nobody is refused, naming the
regions and plans that exist, unless its "start it even if no subscriber matches" box is ticked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.admin import bp
from app.admin.auth import current_admin, login_required
from app.admin.forms import ActionForm
from app.admin.outage_forms import (
    ALL_AND_SCOPE,
    NO_SCOPE,
    TIME_FORMAT,
    ReportForm,
    StartOutageForm,
    UpdateOutageForm,
    parse_numbers,
)
from app.admin.outage_scope import scope_summary
from app.core.extensions import db
from app.core.phone import display
from app.models import MAX_ID, Outage, OutageState, Subscriber
from app.outages.affected import affected_count
from app.outages.lifecycle import Scope, active_outages, start_outage
from app.outages.notices.progress import outage_progress
from app.outages.scope_rules import existing_values, nobody_matches, scope_count

PER_PAGE = 50
MAX_PAGE = 100_000


def admin_actor() -> str:
    """Who the audit log names for this request's change."""
    admin = current_admin()
    return f"admin:{admin.email if admin else 'unknown'}"


def outage_or_404(outage_id: int) -> Outage:
    """The outage with this id, or a 404 page (also for ids no column could hold)."""
    outage = db.session.get(Outage, outage_id) if 0 < outage_id <= MAX_ID else None
    if outage is None:
        abort(404)
    return outage


@bp.get("/outages")
@login_required
def outages() -> str:
    """Active outages, then resolved ones, most recent first, a page at a time."""
    session = db.session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    resolved = session.scalars(
        select(Outage)
        .where(Outage.state == OutageState.RESOLVED)
        .order_by(Outage.resolved_at.desc(), Outage.id.desc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    active = active_outages(session) if page == 1 else []
    return render_template(
        "admin/outages.html",
        active=active,
        resolved=resolved[:PER_PAGE],
        page=page,
        has_next=len(resolved) > PER_PAGE,
        affected={o.id: affected_count(session, o) for o in [*active, *resolved]},
        summary=scope_summary,
    )


def _start_form() -> StartOutageForm:
    """The start form, its region and plan boxes listing what subscribers actually have."""
    form = StartOutageForm()
    session = db.session()
    form.regions.choices = existing_values(session, Subscriber.region)
    form.plans.choices = existing_values(session, Subscriber.plan)
    return form


def _start_page(form: StartOutageForm, count: int | None, status: int = 200) -> Any:
    form.seen_count.data = "" if count is None else str(count)  # only a count shown confirms
    now_utc = datetime.now(UTC).strftime(TIME_FORMAT)
    return render_template("admin/outage_new.html", form=form, count=count, now_utc=now_utc), status


@bp.route("/outages/new", methods=["GET", "POST"])
@login_required
def new_outage() -> Any:
    """Show the start form; preview the count; start the outage once its count was seen."""
    form = _start_form()
    session = db.session()
    if request.method == "GET":
        return _start_page(form, None)
    if not form.validate():
        return _start_page(form, None, 400)
    count = scope_count(session, form.scope())
    if not form.force.data and (problem := nobody_matches(session, form.scope())):
        form.force.errors = [f"{problem} Tick this box to start it anyway."]
        return _start_page(form, count, 400)
    if request.form.get("action") != "start" or form.seen_count.data != str(count):
        return _start_page(form, count)
    caller_message, subscriber_message = form.messages()
    outage = start_outage(
        session,
        actor=admin_actor(),
        scope=form.scope(),
        caller_message=caller_message,
        subscriber_message=subscriber_message,
        etr=form.etr.data,
    )
    session.commit()
    count = affected_count(session, outage)
    noun = "subscriber" if count == 1 else "subscribers"
    flash(f"Outage {outage.id} started; {count} {noun} affected; notices are going out.", "info")
    return redirect(url_for("admin.outage", outage_id=outage.id), 303)


@bp.get("/outages/affected-count")
@login_required
def affected_count_json() -> Any:
    """How many subscribers a scope would reach, for the start form's live count."""
    try:
        numbers = parse_numbers(request.args.getlist("number"), label="Number")
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    scope = Scope(request.args.getlist("region"), numbers, request.args.getlist("plan"))
    everyone = request.args.get("all") == "1"
    if everyone != scope.covers_everyone:
        return jsonify({"error": ALL_AND_SCOPE if everyone else NO_SCOPE}), 400
    return jsonify({"count": scope_count(db.session(), scope)})


@bp.get("/outages/<int:outage_id>")
@login_required
def outage(outage_id: int) -> Any:
    """One outage: its details, notice progress, timeline and what can be done to it now."""
    return outage_page(outage_or_404(outage_id))


def outage_page(outage: Outage, status: int = 200, **forms: Any) -> tuple[str, int]:
    """Render an outage's page; `forms` replace the blank ones (to show a failed form's errors)."""
    if "update_form" not in forms:
        forms["update_form"] = UpdateOutageForm(
            formdata=None,
            caller_message=outage.caller_message,
            subscriber_message=outage.subscriber_message,
            etr=outage.etr,
            state=outage.state if outage.is_active else None,
        )
    forms.setdefault("report_form", ReportForm(formdata=None, report=outage.report))
    session = db.session()
    page = render_template(
        "admin/outage.html",
        outage=outage,
        affected=affected_count(session, outage),
        progress=outage_progress(session, outage.id),
        summary=scope_summary(outage),
        phone=display,
        action_form=ActionForm(formdata=None),
        now_utc=datetime.now(UTC).strftime(TIME_FORMAT),
        **forms,
    )
    return page, status


def redirect_to(outage: Outage) -> Response:
    """Back to the outage's page after a change (303: the browser GETs it)."""
    return redirect(url_for("admin.outage", outage_id=outage.id), 303)


from app.admin import outage_actions, outage_resolve  # noqa: E402,F401  (routes of these pages)
