"""/api/v1/subscribers: search, create, show, change, delete, and CSV import."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.api import bp
from app.api.errors import ApiError
from app.api.outage_json import iso
from app.api.payload import fetch, json_object, paginated, query_text, read_body
from app.api.subscriber_json import FIELDS, check_numbers, subscriber_json, subscriber_values
from app.core.extensions import db
from app.core.urls import public_url
from app.models import Subscriber, utcnow
from app.subscribers.csv_files import import_rows, read_csv_for
from app.subscribers.records import delete_subscriber as delete_keeping_calls
from app.subscribers.records import search, search_problem


@bp.get("/subscribers")
def list_subscribers() -> Response:
    """Subscribers by number, `?q=` matching part of the number, name or an email address."""
    q = query_text("q").strip()
    if problem := search_problem(q):
        raise ApiError(400, f"Query parameter q {problem}.")
    return jsonify(paginated(search(q), subscriber_json))


@bp.post("/subscribers")
def create_subscriber() -> Any:
    """Add a subscriber; the number is normalised to E.164."""
    values = subscriber_values(json_object(FIELDS), creating=True)
    session = db.session()
    check_numbers(session, None, values)
    subscriber = Subscriber(**values)
    session.add(subscriber)
    _commit(values)
    location = public_url(f"{bp.url_prefix}/subscribers/{subscriber.id}")
    return jsonify(subscriber_json(subscriber)), 201, {"Location": location}


@bp.get("/subscribers/<int:subscriber_id>")
def get_subscriber(subscriber_id: int) -> Response:
    return jsonify(subscriber_json(fetch(Subscriber, subscriber_id, "subscriber")))


@bp.patch("/subscribers/<int:subscriber_id>")
def patch_subscriber(subscriber_id: int) -> Response:
    """Change any of a subscriber's fields; null clears an optional one."""
    values = subscriber_values(json_object(FIELDS), creating=False)
    subscriber = fetch(Subscriber, subscriber_id, "subscriber")
    check_numbers(db.session(), subscriber, values)
    for name, value in values.items():
        setattr(subscriber, name, value)
    _commit(values)
    return jsonify(subscriber_json(subscriber))


def _commit(values: dict[str, Any]) -> None:
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request took the number first
        db.session.rollback()
        raise ApiError(
            409, f"A subscriber already has the number {values.get('number')}."
        ) from None


@bp.delete("/subscribers/<int:subscriber_id>")
def delete_subscriber(subscriber_id: int) -> Response:
    """Delete a subscriber and erase their voicemails; the rows stay, unlinked and anonymised."""
    subscriber = fetch(Subscriber, subscriber_id, "subscriber")
    delete_keeping_calls(db.session(), subscriber)
    return Response(status=204)


@bp.post("/subscribers/<int:subscriber_id>/status-links/revoke")
def revoke_status_links(subscriber_id: int) -> Response:
    """Stop every status link issued to the subscriber so far; links issued later work."""
    subscriber = fetch(Subscriber, subscriber_id, "subscriber")
    subscriber.status_links_revoked_at = utcnow()
    db.session.commit()
    return jsonify(
        subscriber_id=subscriber.id,
        status_links_revoked_at=iso(subscriber.status_links_revoked_at),
    )


@bp.post("/subscribers/import")
def import_subscribers() -> Response:
    """Import a CSV body (the CLI's format and rules): all rows or, if any is wrong, none."""
    if request.mimetype != "text/csv":
        raise ApiError(415, "Send the CSV as the body, with Content-Type: text/csv.")
    raw = read_body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(
            422, f"The body is not UTF-8 text ({exc.reason} at byte {exc.start})."
        ) from None
    session = db.session()
    result = read_csv_for(session, io.StringIO(text, newline=""))
    if result.errors:
        raise ApiError(
            422,
            f"{len(result.errors)} problem(s) in the CSV; nothing was imported.",
            errors=result.errors,
        )
    try:
        created, updated = import_rows(session, result.rows)
    except IntegrityError:  # another import or request added one of these numbers meanwhile
        session.rollback()
        raise ApiError(409, "The subscribers changed during the import; send it again.") from None
    return jsonify(created=created, updated=updated)
