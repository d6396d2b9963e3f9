"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.admin import bp, passwords, throttle
from app.admin.auth import current_admin, log_in, log_out
from app.admin.forms import ActionForm, LoginForm
from app.core.extensions import db
from app.models import AdminUser, utcnow

log = structlog.get_logger(__name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if request.method == "GET" and current_admin() is not None:
        return redirect(_next_page())
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("admin/login.html", form=form), status
    email = (form.email.data or "").strip().lower()
    attempt = throttle.Attempt(email, request.remote_addr)  # the client's, behind a trusted proxy
    wait = throttle.wait_seconds(attempt)
    if wait:
        flash(
            f"Too many failed attempts from your address. Wait {wait} s, then try again.", "error"
        )
        page = render_template("admin/login.html", form=form, wait=wait)
        return page, 429, {"Retry-After": str(wait)}
    admin = db.session.scalars(select(AdminUser).where(AdminUser.email == email)).first()
    if not passwords.verify(admin.password_hash if admin else None, form.password.data or ""):
        throttle.note_failure(attempt)
        log.warning("admin login failed", ip=request.remote_addr)
        flash("That email and password do not match an admin account.", "error")
        return render_template("admin/login.html", form=form), 401
    assert admin is not None
    throttle.forget(attempt)
    if passwords.needs_rehash(admin.password_hash):
        admin.password_hash = passwords.hash_password(form.password.data or "")
    admin.last_login_at = utcnow()
    db.session.commit()
    log_in(admin)
    log.info("admin logged in", admin_id=admin.id)
    return redirect(_next_page())


@bp.post("/logout")
def logout() -> Response:
    if ActionForm().validate_on_submit():
        log_out()
        flash("You are logged out.", "info")
    return redirect(url_for("admin.login"))


def _next_page() -> str:
    """Where to go after login: a path on this site only (no open redirect)."""
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/admin") and not parts.scheme and not parts.netloc:
        return target
    return url_for("admin.dashboard")
