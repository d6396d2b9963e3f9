"""gunicorn.conf.py: what operations.md says about it, and its hook that freezes the app."""

from __future__ import annotations

import gc
import re
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _conf() -> dict[str, object]:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_operations_gives_the_committed_recycling() -> None:
    conf = _conf()
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    row = re.search(r"\| `max_requests` \| ([\d,]+) \(jitter ([\d,]+)\)", operations)
    assert row is not None, "operations.md has no max_requests row"
    assert int(row[1].replace(",", "")) == conf["max_requests"]
    assert int(row[2].replace(",", "")) == conf["max_requests_jitter"]


def test_when_ready_freezes_what_the_arbiter_built() -> None:
    when_ready = _conf()["when_ready"]
    assert callable(when_ready)
    gc.unfreeze()
    try:
        when_ready(None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
