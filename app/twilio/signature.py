"""Twilio request signatures, checked against BACKLINE_PUBLIC_URL (never the Host header).

The signature is Twilio's documented HMAC-SHA1 of the full URL followed by every POST
parameter's name and value, sorted by name, keyed with the Auth Token and base64-encoded. When a
Webhook Rule has Twilio sign with a SharedKey instead, the request says so in
`X-Twilio-Webhooks-Signature-Settings` (`key=…,algorithm=HMAC_SHA256`): the same string is then
signed with that algorithm (HMAC-SHA1 or HMAC-SHA256), keyed with the SharedKey's secret
(TWILIO_WEBHOOK_SHARED_KEY), as twilio's RequestValidator validates it. It is
computed here rather than with twilio's RequestValidator because it runs on every webhook: the
validator signs each request twice (with and without a port) and parses the URL again each
time, a tenth of the call path's CPU. Here the URL as configured is tried first, and the same
URL with (or without) its default port only when that fails, as Twilio may sign either.
The tests sign their requests with RequestValidator, so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from flask import abort, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.urls import public_url

# Twilio's webhooks post a few kilobytes (a transcript, Add-on results); reading more than this
# into memory before the signature is checked would let anyone exhaust a web worker.
BODY_LIMIT = 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
HMAC_SHA1 = "HMAC_SHA1"  # the Auth Token's, and a SharedKey's unless its Setting says otherwise
ALGORITHMS = {HMAC_SHA1: hashlib.sha1, "HMAC_SHA256": hashlib.sha256}

log = structlog.get_logger(__name__)


def signature(
    secret: str, url: str, params: MultiDict[str, str], algorithm: str = HMAC_SHA1
) -> str:
    """What Twilio puts in X-Twilio-Signature for a POST of `params` to `url`."""
    signed = url + "".join(
        name + value for name in sorted(params) for value in sorted(set(params.getlist(name)))
    )
    digest = hmac.new(secret.encode(), signed.encode(), ALGORITHMS[algorithm]).digest()
    return base64.b64encode(digest).decode()


def signing_algorithm(settings_header: str) -> str:
    """The algorithm X-Twilio-Webhooks-Signature-Settings names; HMAC_SHA1 when it names none."""
    for part in settings_header.split(","):
        name, equals, value = part.partition("=")
        if equals and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return HMAC_SHA1


def _signing_secret() -> tuple[str, str] | None:
    """The secret and algorithm this request says it is signed with; None if Backline lacks it."""
    settings = request.headers.get(SETTINGS_HEADER, "")
    if not settings:
        return current_app.config["TWILIO_AUTH_TOKEN"], HMAC_SHA1
    algorithm = signing_algorithm(settings)
    shared_key = current_app.config["TWILIO_WEBHOOK_SHARED_KEY"]
    if algorithm not in ALGORITHMS or not shared_key:
        log.warning(
            "refused a webhook signed with a SharedKey Backline cannot check",
            algorithm=algorithm,
            shared_key_set=bool(shared_key),
        )
        return None
    return shared_key, algorithm


def signed_urls(url: str) -> Iterable[str]:
    """`url` itself, then the variant Twilio may have signed instead: without its port if it
    has one, else with the scheme's default port (as twilio's own validator accepts)."""
    yield url
    parts = urlsplit(url)
    if parts.port is not None:
        yield urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    elif parts.scheme in DEFAULT_PORTS and parts.netloc:
        yield urlunsplit(parts._replace(netloc=f"{parts.netloc}:{DEFAULT_PORTS[parts.scheme]}"))


def _signed_url() -> str:
    query = request.query_string.decode("latin-1")
    return public_url(request.path) + (f"?{query}" if query else "")


def request_is_from_twilio() -> bool:
    """Whether X-Twilio-Signature matches this request's URL and form parameters."""
    given = request.headers.get("X-Twilio-Signature", "").encode()
    signing = _signing_secret() if given else None
    if signing is None:
        return False
    secret, algorithm = signing
    form = request.form
    return any(
        hmac.compare_digest(signature(secret, url, form, algorithm).encode(), given)
        for url in signed_urls(_signed_url())
    )


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
