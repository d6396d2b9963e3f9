"""Twilio request signatures, checked against BACKLINE_PUBLIC_URL (never the Host header)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


def public_url(path: str) -> str:
    """The absolute URL Twilio uses for one of our paths, from BACKLINE_PUBLIC_URL."""
    return current_app.config["BACKLINE_PUBLIC_URL"].rstrip("/") + path


def _signed_url() -> str:
    query = request.query_string.decode("latin-1")
    return public_url(request.path) + (f"?{query}" if query else "")


def request_is_from_twilio() -> bool:
    """Whether X-Twilio-Signature matches this request's URL and form parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    return bool(validator.validate(_signed_url(), request.form, signature))


def twilio_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403 to any request Twilio did not sign."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not request_is_from_twilio():
            abort(403, "This endpoint only accepts requests signed by Twilio.")
        return view(*args, **kwargs)

    return checked
