"""Benchmark 1: `/ivr/voice` under an active outage against a bare Flask endpoint.

Both run under gunicorn with the committed gunicorn.conf.py on 127.0.0.1, one after the other,
loaded by wrk with the same threads, connections and pre-signed requests. Backline's side is
the real thing: production settings, the signature checked, the snapshot cache consulted and
one call row committed to PostgreSQL per request (each request has its own CallSid).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import figures
from .cpu_meter import CpuUse, metered
from .gunicorn_runner import free_port, serving, worker_settings
from .ivr_report import Costs, Measured, missing_wrk_section, report_section
from .ivr_requests import write_request_files
from .ivr_setup import CALLER, SUBSCRIBER, backline_env, call_rows, prepare_backline
from .wrk import THREADS, WrkResult, run_wrk, wrk_path

BACKLINE_APP = "app:create_app()"
BARE_APP = "bench.bare_app:create_app()"
LUA = Path(__file__).resolve().parent / "ivr_voice.lua"
WARM_UP_S = 5
MEASURE_S = 20
WARM_UP_REQUESTS = 10_000  # repeats while warming up are harmless (an update, not measured)
MIN_REQUESTS = 20_000
HEADROOM = 2.5  # distinct requests per request the warm-up rate predicts for the measured run


@dataclass(frozen=True)
class Bench:
    workdir: Path
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ivr/voice"

    def write_requests(self, name: str, count: int) -> Path:
        prefix = self.workdir / name
        write_request_files(
            prefix,
            count,
            THREADS,
            auth_token=self.env["TWILIO_AUTH_TOKEN"],
            public_url=self.env["BACKLINE_PUBLIC_URL"],
            account_sid=self.env["TWILIO_ACCOUNT_SID"],
            to=SUBSCRIBER,
            caller=CALLER,
        )
        return prefix

    def load(self, prefix: Path, seconds: int) -> WrkResult:
        return run_wrk(self.url, LUA, [str(prefix)], seconds)


def run() -> str:
    """Measure both servers and return the Markdown section."""
    if wrk_path() is None:
        return missing_wrk_section()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ivr-") as tmp:
        port = free_port()
        bench = Bench(Path(tmp), port, backline_env(Path(tmp), port))
        prepare_backline(bench.env, bench.workdir)
        warm_up = bench.write_requests("warm-up", WARM_UP_REQUESTS)
        (baseline, baseline_cpu), measured = _baseline(bench, warm_up), _backline(bench, warm_up)
    ours = measured.cpu.per_request(measured.result.requests)
    figures.save(
        "ivr_voice",
        requests_per_s=measured.result.per_second,
        baseline_requests_per_s=baseline.per_second,
        cores=len(os.sched_getaffinity(0)),
        cpu_ms_per_request={"web": ours.server, "postgres": ours.database, "wrk": ours.load},
    )
    costs = Costs(ours, baseline_cpu.per_request(baseline.requests))
    return report_section(measured, baseline, costs, worker_settings(bench.env), load_before)


def _baseline(bench: Bench, warm_up: Path) -> tuple[WrkResult, CpuUse]:
    """The bare app, replaying the warm-up requests (it neither checks nor stores them)."""
    with serving(BARE_APP, bench.port, bench.env) as group:
        bench.load(warm_up, WARM_UP_S)
        return metered(group, lambda: bench.load(warm_up, MEASURE_S))


def _backline(bench: Bench, warm_up: Path) -> Measured:
    """Backline, measured with requests it has never seen, and the call rows it committed."""
    with serving(BACKLINE_APP, bench.port, bench.env) as group:
        warm = bench.load(warm_up, WARM_UP_S)
        count = max(MIN_REQUESTS, int(warm.per_second * MEASURE_S * HEADROOM))
        fresh = bench.write_requests("measured", count)
        rows_before = call_rows()
        result, cpu = metered(group, lambda: bench.load(fresh, MEASURE_S))
    return Measured(result, call_rows() - rows_before, count, cpu)
