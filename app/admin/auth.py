"""Who is logged in: the session holds the admin's id and session version, nothing else.

The cookie is signed, not stored: what makes a session end for every copy of its cookie is the
account's session version, checked on every request. Logging out and a new password move it
on, so a cookie copied before either is refused afterwards (on every browser of that account).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import redirect, request, session, url_for
from sqlalchemy import update
from werkzeug.wrappers import Response

from app.core.extensions import db
from app.models import AdminUser

P = ParamSpec("P")
R = TypeVar("R")

SESSION_KEY = "admin"
_CACHE_KEY = "backline.admin"
_UNKNOWN = object()


def log_in(admin: AdminUser) -> None:
    session.clear()  # a fresh session: no fixation of a cookie set before login
    session[SESSION_KEY] = [admin.id, admin.session_version]
    session.permanent = True


def log_out() -> None:
    """End this session, and every other of the account's: copies of the cookie stop working."""
    admin = current_admin()
    if admin is not None:
        version = AdminUser.session_version
        db.session.execute(
            update(AdminUser).where(AdminUser.id == admin.id).values(session_version=version + 1)
        )
        db.session.commit()
    session.clear()
    request.environ.pop(_CACHE_KEY, None)


def current_admin() -> AdminUser | None:
    """The logged-in admin, or None (also when the account was deleted or its password changed)."""
    cached = request.environ.get(_CACHE_KEY, _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached  # type: ignore[no-any-return]
    value = session.get(SESSION_KEY)
    admin = None
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        candidate = db.session.get(AdminUser, value[0])
        if candidate is not None and candidate.session_version == value[1]:
            admin = candidate
    request.environ[_CACHE_KEY] = admin  # per request: `g` may outlive one (tests, CLI)
    return admin


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send anyone not logged in to the login page, then back where they were going."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_admin() is None:
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("admin.login", next=target))
        return view(*args, **kwargs)

    return wrapped
