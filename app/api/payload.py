"""Reading request bodies and query strings: bounded, strict, and answered with a sentence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.errors import ApiError, Invalid
from app.core.extensions import db
from app.models import MAX_ID, MAX_PAGE
from app.subscribers.csv_files import CSV_LIMIT

T = TypeVar("T")

# Every body the OpenAPI document allows fits, even with each character written as a 12-byte
# `\uXXXX\uXXXX` escape (tests/app/api/test_openapi_bounds.py): a scope of 1,000 numbers, regions
# and plans, and every message in every language, is about 2 MB at worst.
JSON_LIMIT = 4 * 1024 * 1024
PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 500


CSV_ENDPOINTS = {"api.import_subscribers"}


def limit_in_words(limit: int) -> str:
    """`4 MiB`, `64 KiB`: a body limit as an error sentence says it."""
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 1024} KiB"


def body_limit() -> int:
    """The largest body this request may carry: a CSV import may be large, JSON never is."""
    return CSV_LIMIT if request.endpoint in CSV_ENDPOINTS else JSON_LIMIT


def read_body() -> bytes:
    """The whole body, or 413 when it reaches this request's limit.

    A body streamed without Content-Length is cut at the limit without an error, so a body
    that fills it is taken as one that went on.
    """
    raw = request.get_data(cache=True)
    if len(raw) >= body_limit():
        raise RequestEntityTooLarge()
    return raw


def json_object(allowed: Iterable[str], optional_body: bool = False) -> dict[str, Any]:
    """The request's JSON object; 415, 400 or 422 (naming the field) for anything else."""
    raw = read_body()
    if optional_body and not raw.strip():
        return {}
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON, with Content-Type: application/json.")
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: it is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"The body must be a JSON object, not {json_type(data)}.")
    allowed = tuple(allowed)
    for name in data:
        if name not in allowed:
            raise Invalid(name, f"unknown field (expected one of: {', '.join(allowed)})")
    return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def canonical_hash(data: Any) -> str:
    """A digest of a JSON value that ignores key order and spacing."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def query_text(name: str) -> str:
    """The value of a query parameter sent at most once ("" when it is not sent)."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"Query parameter {name} is sent {len(values)} times; send it once.")
    return values[0] if values else ""


def query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query parameter between `low` and `high`."""
    raw = query_text(name)
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and low <= int(raw) <= high):
        raise ApiError(400, f"Query parameter {name} must be a whole number from {low} to {high}.")
    return int(raw)


def query_flag(name: str) -> bool:
    raw = query_text(name).strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ApiError(400, f"Query parameter {name} must be 1 or 0 (true or false).")


def query_choice(name: str, choices: Iterable[str]) -> list[str]:
    """The values given for a repeatable parameter, each one of `choices`."""
    choices = tuple(choices)
    values = request.args.getlist(name)
    for value in values:
        if value not in choices:
            raise ApiError(
                400, f"Query parameter {name}={value!r} is not one of: {', '.join(choices)}."
            )
    return values


def fetch(model: type[T], ident: int, what: str) -> T:
    """The row with this id, or 404 (also for ids no column could hold)."""
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        raise ApiError(404, f"There is no {what} {ident}.")
    return row


def paginated(query: Select[Any], serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of `query` (`?page=&per_page=`) with the total count."""
    page = query_int("page", 1, 1, MAX_PAGE) or 1
    per_page = query_int("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX) or PER_PAGE_DEFAULT
    session: Session = db.session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "items": [serialize(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": int(total or 0),
    }
