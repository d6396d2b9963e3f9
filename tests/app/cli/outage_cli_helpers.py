"""Starting outages through `backline outage`, and reading them back as stored."""

from __future__ import annotations

from click.testing import Result

from app.core.extensions import db
from app.models import Outage
from tests.conftest import Invoke


def fresh(outage_id: int) -> Outage:
    """The outage as stored now (not as this session last saw it)."""
    db.session.expire_all()
    outage = db.session.get(Outage, outage_id)
    assert outage is not None, f"no outage {outage_id}"
    return outage


def start(cli: Invoke, *args: str) -> Outage:
    result = cli("outage", "start", *args)
    assert result.exit_code == 0, result.output
    return fresh(int(result.stdout.splitlines()[0]))


def assert_usage_error(result: Result, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output
