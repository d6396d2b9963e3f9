"""Security headers on every response, and the nonce that lets an inline script run.

Every answer says: no MIME sniffing, no framing, no Referer (status, unsubscribe and listen URLs
carry their token in the path), and HSTS when BACKLINE_PUBLIC_URL is https. HTML pages also get
a Content-Security-Policy: no scripts but those carrying this response's nonce
(`<script nonce="{{ csp_nonce() }}">`), inline styles allowed (the pages have no build step),
everything else from this site only. Admin and status pages are never cached.

A view's own value wins (the status pages send a stricter policy of their own). Twilio ignores
all of this; TwiML is unaffected.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, request

NONCE_KEY = "backline.csp_nonce"
STRICT_TRANSPORT = "max-age=31536000"
UNCACHED_PATHS = ("/admin", "/status/", "/unsubscribe/")
EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response `app` sends; give templates `csp_nonce()`."""
    public_url = str(app.config["BACKLINE_PUBLIC_URL"] or "")
    fixed = dict(EVERY_RESPONSE)
    if public_url.startswith("https:"):
        fixed["Strict-Transport-Security"] = STRICT_TRANSPORT
    media_from = _origin(public_url)  # listen links are absolute, built from the public URL

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # one pass over the names, not one per header set (iterating Headers gives pairs)
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118
        response.headers.extend(
            (name, value) for name, value in fixed.items() if name.lower() not in present
        )
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", page_policy(media_from))
        if request.path.startswith(UNCACHED_PATHS):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.jinja_env.globals["csp_nonce"] = csp_nonce


def csp_nonce() -> str:
    """This response's script nonce (made on first use, so pages without scripts allow none)."""
    nonce: str | None = request.environ.get(NONCE_KEY)
    if nonce is None:
        nonce = request.environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


def page_policy(media_from: str = "") -> str:
    """The Content-Security-Policy of an HTML page of this response."""
    nonce = request.environ.get(NONCE_KEY)
    directives = [
        "default-src 'none'",
        f"script-src 'nonce-{nonce}'" if nonce else "script-src 'none'",
        "style-src 'unsafe-inline'",  # <style> blocks and style attributes; no build step
        "img-src 'self' data:",
        f"media-src 'self' {media_from}".strip(),
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
    return "; ".join(directives)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
