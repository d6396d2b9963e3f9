"""The dashboard: primary status, active outages, live counters."""

from __future__ import annotations

from flask import render_template

from app.extensions import db
from app.outages import active_outages

from . import bp
from .auth import login_required


@bp.get("/")
@login_required
def dashboard() -> str:
    return render_template("admin/dashboard.html", outages=active_outages(db.session()))
