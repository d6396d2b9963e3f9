"""Absolute URLs of Backline's own paths, from BACKLINE_PUBLIC_URL (never the Host header)."""

from __future__ import annotations

from flask import current_app


def public_url(path: str) -> str:
    """The absolute URL Twilio uses for one of our paths, from BACKLINE_PUBLIC_URL."""
    return current_app.config["BACKLINE_PUBLIC_URL"].rstrip("/") + path
