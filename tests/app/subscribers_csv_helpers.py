"""The subscribers CSV header, and reading subscribers back as stored after a CLI run."""

from __future__ import annotations

from click.testing import Result
from sqlalchemy import func, select

from app.extensions import db
from app.models import Subscriber

HEADER = "number,name,email,plan,region,backup_number,timezone,language"


def count_subscribers() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def fresh(number: str) -> Subscriber | None:
    """The subscriber as stored now (not as this session last saw it)."""
    db.session.expire_all()
    return db.session.scalar(select(Subscriber).where(Subscriber.number == number))


def assert_failed_cleanly(result: Result) -> None:
    """Non-zero exit through click (an error message), never an unexpected exception."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
