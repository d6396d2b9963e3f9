"""Notice fan-out on its own: how fast the message rows are written, and how that scales with
the workers now that fan-out is split into subscriber-id ranges any worker takes.

The clock runs from `start_outage` to the notice's `fanned_out_at` (every row written, sending
about to start); the workers are then stopped, so the emails are not part of it. Measured at
SIZE subscribers with 1 and then 2 `backline worker` processes, and at LARGE subscribers with 2.
The per-row costs (worker and PostgreSQL CPU) feed the capacity section. `BENCH_SMOKE=1` runs
tiny sizes (bench/sizes.py).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Notice, NoticeRange
from app.outages.lifecycle import Scope, start_outage

from . import figures
from .notices_measure import CpuSample, cpu_sample
from .notices_rig import bench_app, find_smtp_sink, reset, rig, seed, workers
from .sizes import chosen, use_smoke_sizes
from .sizes import smoke as smoke_sizes

SIZE, LARGE = 100_000, 1_000_000
SMOKE_SIZE, SMOKE_LARGE = 2_000, 5_000
SMOKE_RANGE = "500"  # so that the smoke sizes still split into several range jobs
CAP_S = 900.0
TITLE = "## Notice fan-out, timed alone (subscriber-id ranges across workers)\n"


@dataclass
class FanOut:
    size: int
    workers: int
    seconds: float
    ranges: int
    cpu: CpuSample

    @property
    def rows_per_s(self) -> float:
        return self.size / self.seconds

    @property
    def worker_ms_per_row(self) -> float:
        return 1000 * self.cpu.workers / self.size

    @property
    def postgres_ms_per_row(self) -> float:
        return 1000 * self.cpu.programs["postgres"] / self.size


def run(smoke: bool = False) -> str:
    """Fan-out at SIZE with 1 then 2 workers, and at LARGE with 2; return the section."""
    if smoke:
        use_smoke_sizes()
    sink = find_smtp_sink()
    if sink is None:
        return (
            TITLE
            + "\nNot run: Postfix's `smtp-sink` is not installed (`apt-get install postfix`).\n"
        )
    size, large = chosen((SIZE, LARGE), (SMOKE_SIZE, SMOKE_LARGE), "BENCH_FANOUT_SIZES")
    runs: list[FanOut] = []
    with rig(sink) as setup:
        if smoke_sizes():
            setup.settings["BACKLINE_NOTICE_RANGE"] = SMOKE_RANGE
        app = bench_app(setup.settings)
        for count, processes in ((size, 1), (size, 2), (large, 2)):
            reset(app)
            seed(app, count)
            with workers(setup.settings, processes, setup.workdir) as pids:
                runs.append(_fan_out(app, count, processes, pids))
            print(f"    {count:>8} with {processes}: fan-out {runs[-1].seconds:.1f} s")
    _save(runs)
    return report(runs)


def _fan_out(app: Flask, size: int, processes: int, pids: list[int]) -> FanOut:
    before = cpu_sample(pids)
    with app.app_context():
        started = datetime.now(UTC)
        session = db.session()
        start_outage(session, actor="bench", scope=Scope([], [], []), subscriber_message="Bench.")
        session.commit()
        deadline = time.perf_counter() + CAP_S
        while (done := db.session.scalar(select(func.max(Notice.fanned_out_at)))) is None:
            db.session.rollback()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"fan-out of {size:,} not done within {CAP_S:.0f} s")
            time.sleep(0.1)
        cpu = cpu_sample(pids).minus(before)
        ranges = db.session.scalar(select(func.count()).select_from(NoticeRange)) or 0
    return FanOut(size, processes, (done - started).total_seconds(), ranges, cpu)


def _save(runs: list[FanOut]) -> None:
    large = runs[-1]
    figures.save(
        "fanout",
        subscribers=large.size,
        workers=large.workers,
        seconds=large.seconds,
        rows_per_s=large.rows_per_s,
        worker_cpu_ms_per_row=large.worker_ms_per_row,
        postgres_cpu_ms_per_row=large.postgres_ms_per_row,
        scaling_1_to_2=runs[0].seconds / runs[1].seconds,
        smoke=smoke_sizes(),
    )


def report(runs: list[FanOut]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        TITLE,
        f"Measured {when}{' (smoke sizes: prove the benchmark runs, not how fast)' if smoke_sizes() else ''}."
        " From `start_outage` to every message row written (`fanned_out_at`), one email address"
        " per subscriber, PostgreSQL and Redis local; CPU is what the workers and PostgreSQL"
        " spent over that time.\n",
        "| Subscribers | workers | range jobs | fan-out | rows/s | worker CPU ms/row | PostgreSQL CPU ms/row |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.size:,} | {r.workers} | {r.ranges} | {r.seconds:.2f} s | {r.rows_per_s:,.0f}"
            f" | {r.worker_ms_per_row:.3f} | {r.postgres_ms_per_row:.3f} |"
        )
    one, two = runs[0], runs[1]
    lines.append(
        f"\nScaling (computed in this run): {two.workers} workers fan {one.size:,} subscribers out"
        f" {one.seconds / two.seconds:.2f}x as fast as 1 ({one.seconds:.2f} s → {two.seconds:.2f} s)."
        f" Workers, PostgreSQL and the benchmark share {_cores()} cores here, so the gain is"
        f" bounded by them: PostgreSQL spent {two.postgres_ms_per_row:.3f} ms and the workers"
        f" {two.worker_ms_per_row:.3f} ms of CPU per row.\n"
    )
    return "\n".join(lines)


def _cores() -> int:
    return len(os.sched_getaffinity(0))
