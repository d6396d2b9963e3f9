"""Backline: the phone line that still answers when a VoIP provider's platform is down.

This package's own module imports nothing heavy when it is imported: `backline --help` imports
it (app.cli lives inside it) and must not pay for Flask, SQLAlchemy and every feature. What
create_app needs it imports as it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.exceptions import HTTPException


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Backline app; `config` overrides the environment (tests pass a dict).

    Nothing here connects to the database, Redis, storage or mail: a call must be answerable
    even while they are down.
    """
    from dotenv import find_dotenv, load_dotenv

    from app.core.config import check_settings, load_settings
    from app.core.flask_app import BacklineFlask
    from app.core.logging import configure_logging
    from app.security.sessions import CookieSessions

    if config is None and not os.environ.get("FLASK_SKIP_DOTENV"):
        load_dotenv(find_dotenv(usecwd=True), override=False)  # gunicorn reads no .env itself
    settings = load_settings(config)
    check_settings(settings)
    app = BacklineFlask(__name__, instance_path=settings["BACKLINE_INSTANCE_PATH"])
    app.config.update(settings, SECRET_KEY=settings["BACKLINE_SECRET_KEY"])
    app.config.update(_session_settings(settings))
    app.session_interface = CookieSessions()
    configure_logging(json_output=_wants_json_logs(settings))
    _init_extensions(app)
    _register_commit_hooks()
    _register_blueprints(app)
    _register_periodic_jobs(app)
    _register_request_hooks(app)
    _register_error_handlers(app)
    _register_front_door(app)
    return app


def _session_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Admin session cookies: not readable by scripts, not sent cross-site, https-only where the
    public URL is https. CSRF tokens are checked by the admin blueprint only (webhooks, the API
    and one-click unsubscribe carry none)."""
    return {
        "SESSION_COOKIE_NAME": "backline_admin",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": str(settings["BACKLINE_PUBLIC_URL"] or "").startswith("https:"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session, which expires itself
        "WTF_CSRF_SSL_STRICT": False,  # the Referer check breaks behind proxies; the token suffices
    }


def _wants_json_logs(settings: Mapping[str, Any]) -> bool:
    chosen = settings.get("BACKLINE_LOG_FORMAT")
    if chosen:
        return str(chosen).lower() == "json"
    return bool(settings["BACKLINE_ENV"] == "production")


def _init_extensions(app: Flask) -> None:
    from app.core.extensions import csrf, db, jobs
    from app.core.jobs import redis_connection
    from app.resilience.snapshot import directory
    from forwarding.mailer import mailer_from_settings
    from forwarding.providers import fallback_from_url
    from voicemail.storage import storage_from_url

    redis_url = app.config.get("REDIS_URL")
    app.extensions["backline.redis"] = redis_connection(redis_url) if redis_url else None
    db.init_app(app)
    jobs.init_app(app)  # on that client: one Redis breaker per app, enqueues included
    csrf.init_app(app)
    directory.init_app(app)
    app.extensions["backline.storage"] = storage_from_url(app.config["STORAGE_URL"])
    app.extensions["backline.mailer"] = mailer_from_settings(
        app.config["SMTP_URL"], app.config["BACKLINE_OUTBOX"]
    )
    app.extensions["backline.mail_fallback"] = fallback_from_url(app.config["MAIL_FALLBACK_URL"])


def _register_commit_hooks() -> None:
    """What a commit does besides writing rows, in every process that builds the app: notices
    it released are queued for fan-out, and a change to an outage or a subscriber invalidates
    the snapshot that answers calls."""
    from app.outages.notices.policy import queue_released_on_commit
    from app.resilience.snapshot import invalidate_on_commit

    queue_released_on_commit()
    invalidate_on_commit()


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.health.views import bp as health_bp
    from app.metrics import bp as metrics_bp
    from app.outages.notices.sms_status import bp as notice_sms_bp
    from app.status_page import bp as status_page_bp
    from forwarding.views import bp as forwarding_bp
    from ivr.views import bp as ivr_bp
    from voicemail.views import bp as voicemail_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(status_page_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(ivr_bp)
    app.register_blueprint(voicemail_bp)
    app.register_blueprint(forwarding_bp)
    app.register_blueprint(notice_sms_bp)
    app.register_blueprint(admin_bp)


def _register_periodic_jobs(app: Flask) -> None:
    """The table of periodic jobs lives here, in the composition root: the scheduler that runs
    them (app/periodic_scheduler.py) imports no feature."""
    from app.core.periodic import init_periodic
    from app.periodic_table import PERIODIC_JOBS

    init_periodic(app, PERIODIC_JOBS)


def _register_request_hooks(app: Flask) -> None:
    import structlog
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.security.body_limits import init_body_limits
    from app.security.headers import init_security_headers
    from app.security.limits import init_limits

    @app.before_request
    def _fresh_log_context() -> None:
        structlog.contextvars.clear_contextvars()

    init_body_limits(app, own_limits={"api"})  # the API bounds each request's body itself
    init_limits(app, api_bp, admin_bp)  # after the blueprints are registered
    init_security_headers(app)
    proxies = app.config["BACKLINE_TRUSTED_PROXIES"]
    if proxies > 0:
        # Only the client's address (limits, login delays, logs) comes from the proxy: absolute
        # URLs come from BACKLINE_PUBLIC_URL, never from X-Forwarded-Host/-Proto/-Port/-Prefix.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=0, x_host=0, x_port=0, x_prefix=0
        )


def _register_error_handlers(app: Flask) -> None:
    from flask import jsonify, render_template, request
    from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

    from app.security.body_limits import too_large

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        limit = request.max_content_length
        if isinstance(error, RequestEntityTooLarge) and limit and _in_werkzeugs_words(error):
            error = RequestEntityTooLarge(too_large(limit))
        if request.path.startswith("/admin/") or request.path == "/admin":
            page = render_template("admin/error.html", error=error)
            return page, error.code or 500  # people read these pages, not programs
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return jsonify(error=error.description or error.name), error.code or 500, headers


def _register_front_door(app: Flask) -> None:
    """`/` is where a person lands first: the admin UI (which asks them to log in)."""
    from flask import redirect, url_for

    app.add_url_rule(
        "/", "front_door", lambda: redirect(url_for("admin.dashboard")), methods=["GET"]
    )


def _in_werkzeugs_words(error: HTTPException) -> bool:
    """Whether the error still has Werkzeug's generic description (a body cut off as read)."""
    return error.description == type(error).description
