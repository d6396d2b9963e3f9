"""The Markdown section for the `/ivr/voice` benchmark, every sentence computed from the run."""

from __future__ import annotations

import statistics

from .ivr_analysis import profile_lines, tail_lines
from .ivr_measurement import Measurement
from .ivr_sides import BACKLINE, BARE, SIDES
from .wrk import CONNECTIONS, THREADS

TITLE = "## 1. `/ivr/voice` during an outage"
MIN_THROUGHPUT_RATIO = 0.8
MAX_P99_RATIO = 1.5


def missing_wrk_section() -> str:
    return f"{TITLE}\n\nNot measured: `wrk` is not installed (`apt-get install wrk`).\n"


def report_section(m: Measurement) -> str:
    """Setup, figures with their spread, the targets, where the CPU goes, and the tail."""
    throughput = m.ratios(lambda run: run.result.per_second)
    p99 = m.ratios(lambda run: run.result.p99_ms)
    bare = m.median_rate(BACKLINE.name) / m.median_rate(BARE.name)
    return "\n".join(
        [
            TITLE,
            "",
            _setup(m),
            "",
            "| server | requests/s, median (min-max) | p50 | p99, median (min-max) | "
            "web CPU/request | PostgreSQL CPU/request |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *(_row(side.name, m) for side in SIDES),
            "",
            f"- Throughput: **{_spread(throughput, 'x')}** the same-work baseline's, run by run; "
            f"target ≥ {MIN_THROUGHPUT_RATIO}x: "
            f"**{_verdict(statistics.median(throughput) >= MIN_THROUGHPUT_RATIO)}**.",
            f"- p99: **{_spread(p99, 'x')}** the same-work baseline's; target ≤ {MAX_P99_RATIO}x: "
            f"**{_verdict(statistics.median(p99) <= MAX_P99_RATIO)}**.",
            f"- Context: Backline serves {bare:.2f}x the bare fixed-TwiML app's requests/s.",
            f"- Checks: {m.checks()}",
            "",
            *profile_lines(m),
            "",
            *tail_lines(m),
        ]
    )


def _setup(m: Measurement) -> str:
    return (
        "A subscriber's number called during an active admin outage: production settings, "
        "X-Twilio-Signature checked against `BACKLINE_PUBLIC_URL`, subscriber and outage read "
        "through the snapshot cache, one call row committed to PostgreSQL per request (each "
        "request has its own CallSid, so each is an insert). Same-work baseline "
        "(`bench/same_work_app.py`): twilio's `RequestValidator`, one `INSERT … ON CONFLICT` "
        "into the same `calls` table committed by psycopg, fixed TwiML. The bare app "
        "(`bench/bare_app.py`, fixed TwiML only) is context. All three under gunicorn with the "
        f"committed `gunicorn.conf.py` ({m.workers}, access log off), on the same PostgreSQL, "
        f"loaded by wrk ({THREADS} threads, {CONNECTIONS} keep-alive connections) with the same "
        f"pre-signed Twilio form, {m.rounds} alternating runs of each. Load average before the "
        f"run: {m.load_before:.1f} (other work on the machine skews every figure)."
    )


def _row(name: str, m: Measurement) -> str:
    runs = m.runs[name]
    rates = [run.result.per_second for run in runs]
    p99s = [run.result.p99_ms for run in runs]
    p50 = statistics.median(run.result.p50_ms for run in runs)
    cpu = m.median_cpu(name)
    return (
        f"| {name} | {_spread(rates, '', ',.0f')} | {p50:.1f} ms | {_spread(p99s, ' ms', '.1f')} "
        f"| {cpu.server:.2f} ms | {cpu.database:.2f} ms |"
    )


def _spread(values: list[float], unit: str, fmt: str = ".2f") -> str:
    median = format(statistics.median(values), fmt)
    low, high = format(min(values), fmt), format(max(values), fmt)
    return f"{median}{unit} ({low}-{high})"


def _verdict(met: bool) -> str:
    return "PASS" if met else "FAIL"
