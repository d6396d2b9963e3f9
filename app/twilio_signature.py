"""Twilio request signatures, checked against BACKLINE_PUBLIC_URL (never the Host header)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import RequestEntityTooLarge

# Twilio's webhooks post a few kilobytes (a transcript, Add-on results); reading more than this
# into memory before the signature is checked would let anyone exhaust a web worker.
BODY_LIMIT = 1024 * 1024


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
    """Answer 403 to any request Twilio did not sign, and 413 to a body no webhook has."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        request.max_content_length = BODY_LIMIT
        try:
            signed = request_is_from_twilio()
        except RequestEntityTooLarge:
            abort(413, f"A Twilio webhook's body is at most {BODY_LIMIT // 1024 // 1024} MiB.")
        if not signed:
            abort(403, "This endpoint only accepts requests signed by Twilio.")
        return view(*args, **kwargs)

    return checked
