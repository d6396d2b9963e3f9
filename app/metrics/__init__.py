"""`/metrics`: Prometheus exposition, behind the API's bearer tokens.

Counts come from the database at scrape time, so every gunicorn worker answers alike; queue
depths and heartbeats come from Redis (or this process on the embedded defaults). See
`collector.py` for what is exposed and how a sick dependency is left out.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from app.metrics.auth import refusal
from app.metrics.collector import BacklineCollector

bp = Blueprint("metrics", __name__)


@bp.before_request
def _require_token() -> Response | None:
    return refusal()


@bp.get("/metrics")
def metrics() -> Response:
    """Every figure, read now; in the format the scraper asks for (text or OpenMetrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BacklineCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encode(registry), headers={"Content-Type": content_type})
    response.headers["Cache-Control"] = "no-store"
    return response
