"""The REST API under /api/v1: bearer tokens, JSON in and out, an OpenAPI document.

Every route but /api/v1/openapi.json needs a token (`backline token create NAME`). Every
failure is JSON with a sentence in `error`; bad input is a 4xx, never a 500.
"""

from __future__ import annotations

from flask import Blueprint

from app.api import errors
from app.api.auth import require_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(require_token)
errors.register(bp)

# The route modules add their views to `bp`; import them after it exists.
from app.api import alerts, deliveries, openapi, outages, subscribers, voicemails  # noqa: E402

__all__ = ["alerts", "bp", "deliveries", "openapi", "outages", "subscribers", "voicemails"]
