"""What the /ivr/voice tests expect and read back: the outage menu's verbs and the stored call."""

from __future__ import annotations

from sqlalchemy import select

from app.core.extensions import db
from app.models import Call

MENU = ["Say", "Say", "Gather", "Redirect"]


def fresh_call() -> Call:
    db.session.rollback()
    call = db.session.scalar(select(Call))
    assert call is not None
    return call
