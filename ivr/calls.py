"""Who a call is for, and what Backline writes down about it.

Writes go through the circuit breaker; when the database is unavailable they are kept in the
pending store and applied later, so a sick database never costs a call nor loses its record.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import structlog
from flask import current_app
from redis import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import db, redis_client
from app.core.phone import normalise_or_none
from app.models import Base, Call, PrimaryFailure, utcnow
from app.resilience.pending import NothingKept, handles, keep
from app.resilience.snapshot import directory
from app.resilience.snapshot_types import SubscriberEntry
from ivr.call_rows import upsert_call

log = structlog.get_logger(__name__)

ACCEPTED_TTL_S = 6 * 3600


def find_subscriber(to: str | None, forwarded_from: str | None) -> SubscriberEntry | None:
    """The subscriber called: matched on `To`, else on `ForwardedFrom` (carrier forwarding)."""
    for raw in (to, forwarded_from):
        number = normalise_or_none(raw)
        if number:
            subscriber = directory.subscriber(number)
            if subscriber:
                return subscriber
    return None


def note_call(call_sid: str, **fields: Any) -> None:
    """Create or update the call row; `menu_choice=` appends to the call's choices."""
    fields = fitted(Call, fields)
    try:
        db.guarded(lambda: _apply_note({"call_sid": call_sid, **fields}))
    except DatabaseUnavailable:
        # The row written later must say when the call came, not when the database came back.
        kept = {"call_sid": call_sid, "created_at": utcnow(), **fields}
        _keep_or_lose("call", _jsonable(kept))


def note_primary_failure(
    call_sid: str, kind: str, sip_code: int | None = None, error_code: str | None = None
) -> None:
    """Record evidence that the primary is down (for the detector): `kind` is "dial" (a
    pass-through that failed) or "trunk" (the SIP trunk's Disaster Recovery URL)."""
    payload = {
        "call_sid": call_sid,
        "kind": kind,
        "sip_code": sip_code,
        "error_code": error_code,
        "at": utcnow().isoformat(),
    }
    payload = fitted(PrimaryFailure, payload)
    log.warning("primary failure", kind=kind, sip_code=sip_code, error_code=error_code)
    try:
        db.guarded(lambda: _apply_failure(payload))
    except DatabaseUnavailable:
        _keep_or_lose("primary-failure", payload)


def _keep_or_lose(kind: str, payload: dict[str, Any]) -> None:
    """Keep a write for replay; with the database, Redis and storage all down, the caller is
    still answered and the record is lost, loudly."""
    try:
        keep(kind, payload)
    except NothingKept as exc:
        log.error("call record lost: database, Redis and storage all unavailable", error=str(exc))


def fitted(model: type[Base], fields: dict[str, Any]) -> dict[str, Any]:
    """Text from Twilio's form as the model's columns can hold it: without NUL characters
    (PostgreSQL refuses them) and cut to the column's length (PostgreSQL refuses longer)."""
    lengths = _text_lengths(model)
    kept = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.replace("\x00", "")
            length = lengths.get(name)
            value = value[:length] if length else value
        kept[name] = value
    return kept


@functools.cache
def _text_lengths(model: type[Base]) -> dict[str, int | None]:
    """Each column's maximum length (None when unbounded), looked up once per model."""
    columns = model.__table__.columns
    return {column.key: getattr(column.type, "length", None) for column in columns}


@handles("call")
def _apply_note(payload: dict[str, Any]) -> None:
    fields = dict(payload)
    call_sid = fields.pop("call_sid")
    choice = fields.pop("menu_choice", None)
    visit = fields.pop("menu_visit", None)
    created_at = fields.pop("created_at", None)
    created_at = _parse_time(created_at) if created_at else None
    if "ended_at" in fields and isinstance(fields["ended_at"], str):
        fields["ended_at"] = _parse_time(fields["ended_at"])
    if choice is None:
        upsert_call(call_sid, fields, created_at)
    else:
        _append_choice(call_sid, choice, visit, fields, created_at)


def _append_choice(
    call_sid: str,
    choice: str,
    visit: int | None,
    fields: dict[str, Any],
    created_at: datetime | None = None,
) -> None:
    """Read, append, write: the choices list grows by one (a key press, so rare and cheap).

    The same webhook applied twice (a replay from the pending store) records its key once:
    a menu key lands at its visit's place, and the final "none" is never repeated.
    """
    session = db.session()
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        call = Call(call_sid=call_sid, menu_choices=[], created_at=created_at or utcnow())
        session.add(call)
    for name, value in fields.items():
        setattr(call, name, value)
    call.menu_choices = _with_choice(list(call.menu_choices or []), choice, visit)
    try:
        session.commit()
    except IntegrityError:  # the same CallSid raced in from a retried webhook
        session.rollback()
        _append_choice(call_sid, choice, visit, fields, created_at)


def _with_choice(choices: list[str], choice: str, visit: int | None) -> list[str]:
    if visit is not None and visit < len(choices):
        choices[visit] = choice
    elif not (visit is None and choice == "none" and choices[-1:] == ["none"]):
        choices.append(choice)
    return choices


@handles("primary-failure")
def _apply_failure(payload: dict[str, Any]) -> None:
    values = {**payload, "at": _parse_time(payload["at"])}
    db.session.add(PrimaryFailure(**values))
    db.session.commit()


def mark_backup_accepted(call_sid: str) -> None:
    """The backup number's owner pressed 1: the caller was put through."""
    client = redis_client()
    if client is not None:
        try:
            client.set(_accepted_key(call_sid), "1", ex=ACCEPTED_TTL_S)
        except RedisError:
            log.warning("could not note the accepted backup call in Redis")
    note_call(call_sid, outcome="backup-accepted")


def backup_was_accepted(call_sid: str) -> bool:
    """Whether the screened backup callee accepted this call (Redis first, then the database)."""
    client = redis_client()
    if client is not None:
        try:
            if client.exists(_accepted_key(call_sid)):
                return True
        except RedisError:
            pass
    try:
        outcome = db.guarded(
            lambda: db.session.scalar(select(Call.outcome).where(Call.call_sid == call_sid))
        )
    except DatabaseUnavailable:
        return False
    return outcome == "backup-accepted"


def default_language() -> str:
    return str(current_app.config["BACKLINE_DEFAULT_LANGUAGE"])


def _accepted_key(call_sid: str) -> str:
    return f"backline:backup-accepted:{call_sid}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
