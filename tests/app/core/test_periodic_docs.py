"""The docs' table of periodic jobs (docs/periodic-jobs.md) is the code's table: the same jobs, in the same order,
with the same intervals and queues; and the Procfile gives the quick ones a worker of their own."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.periodic import QUICK, SLOW
from app.periodic_table import PERIODIC_JOBS

ROOT = Path(__file__).resolve().parents[3]
ROW = re.compile(r"^\| `([a-z-]+)` \| (\d+) (s|min|h) \| `([a-z-]+)` \|", re.MULTILINE)
UNIT_S = {"s": 1, "min": 60, "h": 3600}


def documented_jobs() -> list[tuple[str, float, str]]:
    page = (ROOT / "docs" / "periodic-jobs.md").read_text()
    section = page[
        page.index("<!-- periodic-jobs:start -->") : page.index("<!-- periodic-jobs:end -->")
    ]
    return [(name, int(n) * UNIT_S[unit], queue) for name, n, unit, queue in ROW.findall(section)]


def test_the_docs_list_every_periodic_job_with_its_interval_and_queue() -> None:
    assert documented_jobs() == [(job.name, job.every_s, job.queue) for job in PERIODIC_JOBS]


def test_the_procfile_serves_both_periodic_queues_and_the_quick_one_alone() -> None:
    commands = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    workers = [cmd.split()[2:] for cmd in commands.values() if cmd.startswith("backline worker")]
    assert [QUICK] in workers
    assert any(SLOW in queues for queues in workers)
