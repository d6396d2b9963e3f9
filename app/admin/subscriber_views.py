"""Subscribers: search, add, edit and delete, by the same rules as the API and the CSV import."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.admin import bp
from app.admin.auth import current_admin, login_required
from app.admin.forms import ActionForm
from app.admin.subscriber_forms import SubscriberForm, subscriber_data
from app.core.extensions import db
from app.core.phone import display
from app.models import MAX_ID, MAX_PAGE, Subscriber
from app.subscribers.records import delete_subscriber as delete_keeping_calls
from app.subscribers.records import number_conflicts, search, search_problem
from app.subscribers.rules import time_zones

log = structlog.get_logger(__name__)

PER_PAGE = 50
Answer = tuple[str, int] | Response


@dataclass(frozen=True)
class Results:
    """One page of a search."""

    subscribers: Sequence[Subscriber]
    number: int
    total: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / PER_PAGE))


@bp.get("/subscribers")
@login_required
def subscribers() -> Answer:
    q = request.args.get("q", "").strip()
    if problem := search_problem(q):
        flash(f"The search {problem}.", "error")
        return render_template("admin/subscribers.html", q="", results=None), 400
    page = render_template("admin/subscribers.html", q=q, results=_results(q), display=display)
    return page, 200


def _results(q: str) -> Results:
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = search(q)
    session = db.session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return Results(rows, page, int(total or 0))


@bp.route("/subscribers/new", methods=["GET", "POST"])
@login_required
def new_subscriber() -> Answer:
    form = SubscriberForm()
    if not _valid(form, None):
        return _form_page(form, None)
    subscriber = Subscriber(**form.values())
    db.session.add(subscriber)
    if not _saved(form):
        return _form_page(form, None, 409)
    _audit("added", subscriber)
    flash(f"Added subscriber {display(subscriber.number)}.", "info")
    return redirect(url_for("admin.subscribers", q=subscriber.number))


@bp.route("/subscribers/<int:subscriber_id>", methods=["GET", "POST"])
@login_required
def edit_subscriber(subscriber_id: int) -> Answer:
    subscriber = _subscriber_or_404(subscriber_id)
    form = SubscriberForm(data=subscriber_data(subscriber))
    if not _valid(form, subscriber):
        return _form_page(form, subscriber)
    for name, value in form.values().items():
        setattr(subscriber, name, value)
    if not _saved(form):
        return _form_page(form, subscriber, 409)
    _audit("changed", subscriber)
    flash(f"Saved subscriber {display(subscriber.number)}.", "info")
    return redirect(url_for("admin.subscribers", q=subscriber.number))


@bp.route("/subscribers/<int:subscriber_id>/delete", methods=["GET", "POST"])
@login_required
def delete_subscriber(subscriber_id: int) -> Answer:
    """GET asks for confirmation; POST deletes and erases their voicemails (rows stay)."""
    subscriber = _subscriber_or_404(subscriber_id)
    form = ActionForm()
    if not form.validate_on_submit():
        page = render_template(
            "admin/subscriber_delete.html", form=form, subscriber=subscriber, display=display
        )
        return page, 200
    shown = display(subscriber.number)
    _audit("deleted", subscriber)
    delete_keeping_calls(db.session(), subscriber)
    flash(f"Deleted subscriber {shown}; their voicemails are being erased.", "info")
    return redirect(url_for("admin.subscribers"))


def _subscriber_or_404(subscriber_id: int) -> Subscriber:
    subscriber = db.session.get(Subscriber, subscriber_id) if 0 < subscriber_id <= MAX_ID else None
    if subscriber is None:
        abort(404, f"There is no subscriber {subscriber_id}.")
    return subscriber


def _valid(form: SubscriberForm, subscriber: Subscriber | None) -> bool:
    """Check the fields, then the numbers against every other subscriber's."""
    if not form.validate_on_submit():
        return False
    values = form.values()
    conflicts = number_conflicts(
        db.session(), subscriber, values["number"], values["backup_number"]
    )
    for conflict in conflicts:
        form[conflict.field].errors.append(conflict.problem)
    return not conflicts


def _saved(form: SubscriberForm) -> bool:
    try:
        db.session.commit()
    except IntegrityError:  # someone took the number between the check and the write
        db.session.rollback()
        form.number.errors.append("another subscriber has just taken this number")
        return False
    return True


def _form_page(form: SubscriberForm, subscriber: Subscriber | None, status: int = 400) -> Answer:
    if request.method != "POST":
        status = 200
    page = render_template(
        "admin/subscriber_form.html",
        form=form,
        subscriber=subscriber,
        zones=_zones(),
        display=display,
    )
    return page, status


def _zones() -> list[str]:
    return sorted(time_zones())


def _audit(action: str, subscriber: Subscriber) -> None:
    admin = current_admin()
    log.info(
        f"admin {action} a subscriber",
        admin_id=admin.id if admin else None,
        subscriber_id=subscriber.id,
    )
