"""The admin web UI under /admin: server-rendered pages, login required, CSRF on every form."""

from __future__ import annotations

from flask import Blueprint

from app.admin.auth import current_admin
from app.core.extensions import csrf

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def _protect_forms() -> None:
    """Every state-changing admin request carries the session's CSRF token (400 otherwise)."""
    from flask import g, request

    g.pop("csrf_token", None)  # Flask-WTF caches it on `g`, which may span requests (tests)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.app_context_processor  # app-wide: the error page of an unknown /admin URL uses it too
def _admin_helpers() -> dict[str, object]:

    return {"current_admin": current_admin}


from app.admin import (  # noqa: E402,F401  (routes register on import)
    dashboard,
    delivery_views,
    login_views,
    outage_views,
    subscriber_csv_views,
    subscriber_views,
    voicemail_views,
)

__all__ = ["bp"]
