"""/api/v1/deliveries: list voicemail emails, show one, and resend a failed one."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from app.api import bp, fields
from app.api.errors import ApiError, Invalid
from app.api.outage_json import iso
from app.api.payload import fetch, json_object, paginated, query_choice, query_int
from app.core.extensions import db
from app.core.urls import public_url
from app.models import MAX_ID, Delivery, DeliveryState
from app.subscribers.rules import EMAIL_MAX, email_problem
from forwarding.resend import NoSuchDelivery, ResendRefused, make_resend, queue_resends, retryable


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "voicemail_id": delivery.voicemail_id,
        "address": delivery.address,
        "state": delivery.state,
        "message_id": delivery.message_id,
        "provider": delivery.provider,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
        "accepted_at": iso(delivery.accepted_at),
        "resend_of_id": delivery.resend_of_id,
    }


@bp.get("/deliveries")
def list_deliveries() -> Response:
    """Deliveries, newest first; `?state=failed` (repeatable) and `?voicemail_id=` filter."""
    query = select(Delivery).order_by(Delivery.id.desc())
    states = query_choice("state", [s.value for s in DeliveryState])
    if states:
        query = query.where(Delivery.state.in_(states))
    voicemail_id = query_int("voicemail_id", None, 1, MAX_ID)
    if voicemail_id is not None:
        query = query.where(Delivery.voicemail_id == voicemail_id)
    return jsonify(paginated(query, delivery_json))


@bp.get("/deliveries/<int:delivery_id>")
def get_delivery(delivery_id: int) -> Response:
    return jsonify(delivery_json(fetch(Delivery, delivery_id, "delivery")))


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> Any:
    """Resend as a new delivery with a new Message-ID, optionally `{"to": address}`."""
    body = json_object(("to",), optional_body=True)
    address = None
    if body.get("to") is not None:
        address = fields.required_text(body["to"], "to", EMAIL_MAX)
        if problem := email_problem(address):  # a bare address, as the OpenAPI document says
            raise Invalid("to", problem)
    session = db.session()
    try:
        original = retryable(session, delivery_id) if delivery_id <= MAX_ID else None
    except NoSuchDelivery as exc:
        raise ApiError(404, str(exc)) from None
    except ResendRefused as exc:
        raise ApiError(409, str(exc)) from None
    if original is None:
        raise ApiError(404, f"There is no delivery {delivery_id}.")
    resend = make_resend(session, original, address)
    session.commit()
    queue_resends([resend])
    location = public_url(f"{bp.url_prefix}/deliveries/{resend.id}")
    return jsonify(delivery_json(resend)), 201, {"Location": location}
