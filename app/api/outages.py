"""/api/v1/outages: list, start, show (with the timeline), update and resolve."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.api import bp, idempotency
from app.api.auth import actor, current_token_id
from app.api.errors import ApiError, Invalid
from app.api.outage_json import (
    START_FIELDS,
    UPDATE_FIELDS,
    outage_json,
    start_arguments,
    start_flag,
    update_changes,
)
from app.api.outage_preview import dry_run_json
from app.api.payload import canonical_hash, fetch, json_object, paginated, query_flag
from app.core.extensions import db
from app.core.urls import public_url
from app.models import ACTIVE_STATES, Outage, OutageSource, OutageState
from app.outages.affected import affected_count
from app.outages.lifecycle import (
    OutageError,
    confirm_outage,
    publish_report,
    resolve_outage,
    start_outage,
    update_outage,
)
from app.outages.notices.progress import outage_progress
from app.outages.scope_rules import nobody_matches


def _shown(outage: Outage, status: int = 200, timeline: bool = True) -> tuple[Response, int]:
    return jsonify(outage_json(outage, affected_count(db.session(), outage), timeline)), status


@bp.get("/outages")
def list_outages() -> Response:
    """Active outages, most recently updated first; `?all=1` adds resolved ones."""
    query = select(Outage).order_by(Outage.updated_at.desc(), Outage.id.desc())
    if not query_flag("all"):
        query = query.where(Outage.state.in_([s.value for s in ACTIVE_STATES]))
    session = db.session()
    return jsonify(paginated(query, lambda o: outage_json(o, affected_count(session, o))))


@bp.post("/outages")
def create_outage() -> Any:
    """Start an outage, active at once; a repeated Idempotency-Key returns the first one.

    The scope is required ("all" for everyone); one that matches no subscriber is refused
    unless `force`; `dry_run` answers whom it would reach and creates nothing.
    """
    body = json_object(START_FIELDS)
    key = idempotency.key_from_request()
    force, dry_run = start_flag(body, "force"), start_flag(body, "dry_run")
    session = db.session()
    if dry_run:
        return jsonify(dry_run_json(session, _checked(body, force)))
    body_hash = canonical_hash(body)
    if key and (earlier := idempotency.earlier_outage(session, key, body_hash)):
        return _replayed(earlier)
    arguments = _checked(body, force)
    outage = start_outage(session, actor=actor(), source=OutageSource.API, **arguments)
    if key:
        idempotency.remember(session, key, body_hash, outage, current_token_id())
    try:
        session.commit()
    except IntegrityError:  # another request with the same key won the race
        session.rollback()
        earlier = idempotency.earlier_outage(session, key, body_hash) if key else None
        if earlier is None:
            raise
        return _replayed(earlier)
    response, status = _shown(outage, 201)
    response.headers["Location"] = public_url(f"{bp.url_prefix}/outages/{outage.id}")
    return response, status


def _checked(body: dict[str, Any], force: bool) -> dict[str, Any]:
    """The arguments of `start_outage`; 422 for a scope that matches nobody unless forced."""
    arguments = start_arguments(body)
    if not force and (problem := nobody_matches(db.session(), arguments["scope"])):
        raise Invalid(
            "scope",
            f'{problem} Check the spelling, or send "force": true to start it anyway '
            "(for a number about to be imported).",
        )
    return arguments


def _replayed(outage: Outage) -> tuple[Response, int]:
    response, status = _shown(outage)
    response.headers["Idempotent-Replayed"] = "true"
    return response, status


@bp.get("/outages/<int:outage_id>")
def get_outage(outage_id: int) -> Any:
    """One outage with its timeline (the audit log of every change and who made it)."""
    return _shown(fetch(Outage, outage_id, "outage"))


@bp.patch("/outages/<int:outage_id>")
def patch_outage(outage_id: int) -> Any:
    """Change messages, ETR or state; state `resolved` resolves it after the other changes."""
    changes = update_changes(json_object(UPDATE_FIELDS))
    outage = fetch(Outage, outage_id, "outage")
    session = db.session()
    resolving = changes.get("state") == OutageState.RESOLVED
    if resolving:
        del changes["state"]
    try:
        if changes:
            update_outage(session, outage, actor=actor(), **changes)
        if resolving:
            resolve_outage(session, outage, actor=actor())
    except OutageError as exc:
        session.rollback()
        raise _conflict(exc) from None
    session.commit()
    return _shown(outage)


@bp.post("/outages/<int:outage_id>/resolve")
def resolve(outage_id: int) -> Any:
    """Resolve an outage; calls pass through again."""
    json_object((), optional_body=True)
    outage = fetch(Outage, outage_id, "outage")
    session = db.session()
    try:
        resolve_outage(session, outage, actor=actor())
    except OutageError as exc:
        raise _conflict(exc) from None
    session.commit()
    return _shown(outage)


def _conflict(exc: OutageError) -> ApiError:
    message = str(exc)
    return ApiError(409, f"{message[:1].upper()}{message[1:]}.")


@bp.post("/outages/<int:outage_id>/confirm")
def confirm(outage_id: int) -> Any:
    """Confirm an outage Alertmanager or the detector opened: its subscribers are told now."""
    json_object((), optional_body=True)
    outage = fetch(Outage, outage_id, "outage")
    session = db.session()
    try:
        confirm_outage(session, outage, actor=actor())
    except OutageError as exc:
        raise _conflict(exc) from None
    session.commit()
    return _shown(outage)


@bp.get("/outages/<int:outage_id>/progress")
def progress(outage_id: int) -> Any:
    """The outage's notices: emails and SMS sent, failed, refused and pending (SMS with an ETA)."""
    fetch(Outage, outage_id, "outage")
    return jsonify({"outage_id": outage_id, "notices": outage_progress(db.session(), outage_id)})


@bp.put("/outages/<int:outage_id>/report")
def put_report(outage_id: int) -> Any:
    """Publish (or correct) the post-incident report of a resolved outage."""
    body = json_object(("report",))
    report = body.get("report")
    if not isinstance(report, str):
        raise Invalid("report", "required, as a string (plain text or Markdown)")
    outage = fetch(Outage, outage_id, "outage")
    if outage.is_active:
        raise ApiError(409, f"Outage {outage.id} is still active; resolve it before the report.")
    try:
        publish_report(db.session(), outage, actor=actor(), report=report)
    except OutageError as exc:
        raise Invalid("report", str(exc)) from None
    db.session.commit()
    return _shown(outage)
