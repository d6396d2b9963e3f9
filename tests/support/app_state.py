"""Waiting for the app's background work, and letting go of its connections, in the tests."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db, jobs
from app.models import Notice
from tests.helpers import wait_until


def settle(timeout: float = 30.0) -> bool:
    """Wait until the queue is idle and no notice is still being fanned out or sent.

    Queue idleness alone can miss a job a real worker has just popped; the notices' own states
    cannot. Returns True (for `assert settle()`), and leaves the session showing what the
    worker wrote.
    """
    assert jobs.wait_idle(timeout)

    def notices_settled() -> bool:
        db.session.rollback()
        db.session.expire_all()
        busy = (
            select(func.count()).select_from(Notice).where(Notice.state.in_(("queued", "sending")))
        )
        return not db.session.scalar(busy)

    wait_until(notices_settled, timeout)
    assert jobs.wait_idle(timeout)
    db.session.expire_all()
    return True


def dispose_engines(app: Flask) -> None:
    """Close an app's database connections now: a suite makes hundreds of apps, and
    PostgreSQL allows only so many clients."""
    for name in ("backline.db", "backline.db.calls"):
        app.extensions[name].dispose()
