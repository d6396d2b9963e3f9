"""Rate limits: flood protection on the admin login and per-token limits on the REST API.

Two things are limited and nothing else ever is:
- `POST /admin/login`, per client address (`BACKLINE_RATE_LIMIT_LOGIN`). It sits on top of the
  growing delay per account and address in `app.admin.throttle` and counts addresses, never
  accounts, so nobody can keep the NOC out of its own account.
- `/api/v1/...`, per bearer token, or per address without one (`BACKLINE_RATE_LIMIT_API`).
  Requests whose token is missing or invalid also count against their address, at the same
  rate (`app.auth_failures`), so inventing a token per request gains nothing.
Twilio's signed webhooks, the Alertmanager receiver, `/healthz`, `/readyz` and `/metrics` are
never counted: an outage floods exactly those, and that is when Backline must answer.

Counters live in Redis when REDIS_URL is set (shared by every process), in memory otherwise.
When Redis cannot be reached, each process counts in its own memory and tries Redis again now
and then (Flask-Limiter's in-memory fallback); any other storage error lets the request through
(`swallow_errors`). A Redis outage never refuses a request.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

import structlog
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.exceptions import TooManyRequests

from app.core.config import ConfigError

log = structlog.get_logger(__name__)

EXTENSION = "backline.limiter"
REDIS_KEY_PREFIX = "backline:limits"
REDIS_TIMEOUT_S = 0.25  # a healthy Redis answers within a millisecond
UNLIMITED_API_ENDPOINTS = frozenset({"api.alertmanager_webhook"})  # an alert must always land
LOGIN_ENDPOINT = "admin.login"
# Where Flask keeps request hooks; Flask-Limiter adds one to each, for every request.
LIMITER_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def init_limits(app: Flask, api_bp: Blueprint, admin_bp: Blueprint) -> Limiter:
    """Bind a limiter to `app` (its blueprints already registered); nothing connects yet.

    Every request to `api_bp` shares the API limit; POSTs to `admin_bp` share the login limit.
    """
    api_limit = _rate_setting(app, "BACKLINE_RATE_LIMIT_API")
    login_limit = _rate_setting(app, "BACKLINE_RATE_LIMIT_LOGIN")
    redis_url = app.config.get("REDIS_URL")
    limiter = Limiter(
        client_address,
        storage_uri=_storage_uri(redis_url),
        storage_options=_redis_options() if redis_url else {},
        strategy="fixed-window",
        in_memory_fallback_enabled=bool(redis_url),
        swallow_errors=True,
        headers_enabled=False,  # Retry-After on a 429 only: no extra Redis call per request
    )
    limiter.request_filter(_never_limited)
    app_wide = {hooks: list(getattr(app, hooks).get(None, ())) for hooks in LIMITER_HOOKS}
    limiter.init_app(app)
    _only_in(app, app_wide, (api_bp.name, admin_bp.name))
    limiter.shared_limit(api_limit, scope="api", key_func=api_client)(api_bp)
    limiter.shared_limit(login_limit, scope="admin-login", methods=["POST"])(admin_bp)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


def _only_in(app: Flask, before: dict[str, list[Any]], blueprints: tuple[str, ...]) -> None:
    """Run the hooks Flask-Limiter added for every request (the check before the view, the
    headers after it, the cleanup at teardown) only for these blueprints' requests; the check
    ahead of their own hooks (a token or CSRF check comes after the count).

    They would otherwise run, and find no limit, on each of Twilio's webhooks: measurable CPU on
    the call path (docs/benchmarks.md), for requests that are never counted anyway.
    """
    for hooks in LIMITER_HOOKS:
        registered = getattr(app, hooks)
        added = [hook for hook in registered.get(None, []) if hook not in before[hooks]]
        registered[None] = before[hooks]
        for name in blueprints:
            own = registered.setdefault(name, [])
            own[:] = added + own if hooks == "before_request_funcs" else own + added


def client_address() -> str:
    """The client's address as the rest of Backline sees it (see BACKLINE_TRUSTED_PROXIES)."""
    return request.remote_addr or "unknown"


def api_client() -> str:
    """Whom an API request counts against: its bearer token (hashed), else its address."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "ip:" + client_address()


def _never_limited() -> bool:
    """True for every request no limit applies to, decided before any counter is touched."""
    if request.blueprint == "api":
        return request.endpoint in UNLIMITED_API_ENDPOINTS
    return not (request.endpoint == LOGIN_ENDPOINT and request.method == "POST")


def _too_many_requests(error: RateLimitExceeded) -> Response:
    """429 with a sentence (JSON for the API, the admin error page otherwise) and Retry-After."""
    wait = _seconds_until_reset(error)
    rate = str(error.limit.limit)
    if request.blueprint == "api":
        whose = "this API token" if api_client().startswith("token:") else "your address"
        sentence = f"Too many requests from {whose}: the API allows {rate}."
        response = jsonify(error=f"{sentence} Try again in {wait} s.")
    else:
        sentence = (
            f"Too many login attempts from your address (at most {rate}). "
            f"Wait {wait} s, then try again."
        )
        page = render_template("admin/error.html", error=TooManyRequests(sentence))
        response = Response(page, mimetype="text/html")
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    log.warning("rate limit reached", endpoint=request.endpoint, limit=rate)
    return response


def _seconds_until_reset(error: RateLimitExceeded) -> int:
    limiter: Limiter = current_app.extensions[EXTENSION]
    reset_at = time.time() + error.limit.limit.get_expiry()
    breached = limiter.current_limit
    if breached is not None:
        try:
            reset_at = breached.window[0]  # when this window's count starts again
        except Exception as exc:  # storage gone since the check: the whole window is an upper bound
            log.warning("rate limit window unreadable", error=type(exc).__name__)
    return max(1, math.ceil(reset_at - time.time()))


def _rate_setting(app: Flask, name: str) -> str:
    value = str(app.config[name]).strip()
    try:
        if parse_many(value):
            return value
    except ValueError:
        pass
    raise ConfigError(
        f"{name} must be a rate such as '30/minute' or '1200 per hour' "
        f"(several separated by ';'), not {value!r}."
    )


def _storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):  # redis-py's spelling; the limits library wants its own
        return "redis+" + redis_url
    return redis_url


def _redis_options() -> dict[str, Any]:
    """Short timeouts and no retries: a failed call switches to in-memory counting at once."""
    return {
        "key_prefix": REDIS_KEY_PREFIX,
        "socket_connect_timeout": REDIS_TIMEOUT_S,
        "socket_timeout": REDIS_TIMEOUT_S,
        "retry": Retry(NoBackoff(), 0),
    }
