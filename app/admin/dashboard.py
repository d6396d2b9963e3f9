"""The dashboard: primary status, active outages, live counters, notice progress, the periodic
jobs' heartbeats and a chart of the last three hours."""

from __future__ import annotations

from flask import render_template

from app.admin import bp
from app.admin.auth import login_required
from app.admin.chart import activity_chart
from app.admin.dashboard_stats import active_notice_progress, live_counters, primary_status
from app.admin.heartbeats import heartbeats
from app.core.extensions import db
from app.models import utcnow
from app.outages.lifecycle import active_outages


@bp.get("/")
@login_required
def dashboard() -> str:
    session = db.session()
    now = utcnow()
    outages = list(active_outages(session))
    return render_template(
        "admin/dashboard.html",
        now=now,
        outages=outages,
        primary=primary_status(session, outages, now),
        counters=live_counters(session, now),
        notices=active_notice_progress(session),
        heartbeats=heartbeats(),
        chart=activity_chart(session, now),
    )
