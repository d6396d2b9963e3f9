"""Liveness (`/healthz`) and readiness (`/readyz`).

`/readyz` answers 503 only when this process cannot answer calls, which means one of:
- it cannot check Twilio's signatures: no TWILIO_AUTH_TOKEN, or a BACKLINE_PUBLIC_URL that is
  not an absolute http(s) URL (signatures are checked against it, so every webhook gets 403);
- it cannot build the answer a caller gets with nothing else reachable (the generic greeting,
  the menu and the recording that `/ivr/fallback` gives): it is built here, as a dry run.
The database, Redis, storage and mail never make it fail: calls are answered from the snapshot
cache and what they leave is kept in the pending store, and a load balancer that took every
process out because the shared database is down would silence the very line meant to answer.
Their state is in the body, all checks together bounded by BACKLINE_READY_TIMEOUT_MS (1.5 s by
default; a load balancer's probe timeout must be longer) so that a hung service costs no more.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit

import structlog
from flask import Blueprint, Response, current_app, jsonify

from app.core.config import uses_development_twilio
from app.core.probes import Outcome, prober
from app.health.readiness import dependency_checks
from app.models import utcnow
from ivr.context import language_of
from ivr.twiml import Caller, outage_answer

bp = Blueprint("health", __name__)
log = structlog.get_logger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """200 while this process can answer calls, else 503; the dependencies' state either way."""
    problems = [p for p in (_signature_problem(), _answer_problem()) if p]
    dependencies = _dependencies()
    body = {
        "ready": not problems,
        "answers_calls": {"ok": not problems, "detail": " ".join(problems) or _how_calls_go()},
        "dependencies": dependencies,
        "snapshot": _snapshot(dependencies["database"]["ok"]),
        "call_records": _call_records(dependencies),
    }
    response = jsonify(body)
    response.status_code = 503 if problems else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _signature_problem() -> str | None:
    config = current_app.config
    if not config.get("TWILIO_AUTH_TOKEN"):
        return "TWILIO_AUTH_TOKEN is not set, so Twilio's signatures cannot be checked."
    url = urlsplit(str(config.get("BACKLINE_PUBLIC_URL") or ""))
    if url.scheme not in ("http", "https") or not url.hostname:
        return (
            "BACKLINE_PUBLIC_URL is not an absolute http(s) URL; signatures are checked against"
            " it, so every Twilio request would get 403."
        )
    return None


def _answer_problem() -> str | None:
    """Build what `/ivr/fallback` says to a caller when nothing else can be reached."""

    try:
        document = outage_answer(Caller(None, language_of(None)), None, utcnow())
        menu = ET.fromstring(document).find("Gather")
    except Exception as exc:
        log.error("the answer given without the database cannot be built", exc_info=True)
        return (
            f"The answer callers get without the database cannot be built ({type(exc).__name__})."
        )
    if menu is None:
        return "The answer callers get without the database has no menu."
    return None


def _how_calls_go() -> str:
    detail = (
        "Twilio signatures can be checked and the answer callers get without the database builds."
    )
    if uses_development_twilio(current_app.config):
        detail += " (Signed with the local development secret: real Twilio requests would get 403.)"
    return detail


def _dependencies() -> dict[str, dict[str, Any]]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checks = {f"readyz:{name}": check for name, check in dependency_checks(app).items()}
    deadline_s = max(1, app.config["BACKLINE_READY_TIMEOUT_MS"]) / 1000
    outcomes = prober(app).ask(checks, deadline_s)
    states = {key.removeprefix("readyz:"): _state(outcome) for key, outcome in outcomes.items()}
    if app.extensions["backline.breaker"].is_open:
        states["database"]["detail"] += "; calls skip it for a few seconds (circuit breaker open)"
    return states


def _state(outcome: Outcome[str]) -> dict[str, Any]:
    return {"ok": outcome.ok, "detail": outcome.value if outcome.ok else outcome.problem}


def _snapshot(database_ok: bool) -> dict[str, Any]:
    """This process's copy of the active outages and subscribers the call path reads."""
    local = current_app.extensions["backline.snapshot"]
    if local.outages is None:
        ok = database_ok
        detail = "no copy in this process yet; the next call loads one" + (
            "" if ok else ", unless the database is back by then: callers hear the generic greeting"
        )
    else:
        ok = True
        age = time.monotonic() - local.outages_at
        detail = (
            f"{len(local.outages)} active outage(s) copied {age:.1f} s ago,"
            f" {len(local.subscribers)} subscriber(s) cached"
        )
    return {"ok": ok, "detail": detail}


def _call_records(dependencies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Where the record of a call answered now would go."""
    redis_used = current_app.extensions.get("backline.redis") is not None
    if dependencies["database"]["ok"]:
        return {"ok": True, "detail": "written to the database"}
    if redis_used and dependencies["redis"]["ok"]:
        return {"ok": True, "detail": "kept in Redis until the database is back"}
    if dependencies["storage"]["ok"]:
        return {"ok": True, "detail": "kept in storage until the database is back"}
    return {
        "ok": False,
        "detail": "nowhere: the database, Redis and storage are all unavailable",
    }
