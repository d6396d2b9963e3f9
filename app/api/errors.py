"""API errors: always JSON `{"error": "<a sentence>"}`, never an HTML page or a traceback.

Validation errors add `field` (the JSON path of the bad value) and, for a CSV import, `errors`
(one `line N, column C: ...` sentence per problem).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.core.circuit import DatabaseUnavailable

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """An answer other than success, with the sentence that explains it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        errors: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.errors, self.headers = errors, dict(headers or {})


class Invalid(ApiError):
    """A well-formed request with a value that is not acceptable (422), naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        field = field if len(field) <= 80 else field[:77] + "..."  # never echo a whole body
        super().__init__(422, f"{field}: {problem}", field=field)


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, f"There is no {what} {ident}.")


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {"error": error.message}
    if error.field:
        body["field"] = error.field
    if error.errors is not None:
        body["errors"] = error.errors
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def register(bp: Blueprint) -> None:
    """Answer every failure inside the API blueprint with JSON."""
    bp.register_error_handler(ApiError, error_response)
    bp.register_error_handler(RequestEntityTooLarge, _too_large)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(OperationalError, _database_down)
    bp.register_error_handler(DatabaseUnavailable, _database_down)


def _too_large(_error: RequestEntityTooLarge) -> Response:
    from app.api.payload import body_limit, limit_in_words

    limit = limit_in_words(body_limit())
    return error_response(ApiError(413, f"The request body is larger than {limit}."))


def _http_error(error: HTTPException) -> Response:
    message = error.description or error.name
    return error_response(ApiError(error.code or 500, message))


def _database_down(error: Exception) -> Response:
    log.error("api request failed: database unavailable", error=type(error).__name__)
    return error_response(
        ApiError(
            503,
            "The database cannot be reached right now; try again shortly.",
            headers={"Retry-After": "5"},
        )
    )
