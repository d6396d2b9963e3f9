"""Benchmark 1: `/ivr/voice` under an active outage against a same-work baseline.

Backline's side is the real thing: production settings, the signature checked, the snapshot
cache consulted and one call row committed to PostgreSQL per request (each request has its own
CallSid). The same-work baseline (bench/same_work_app.py) does only what the webhook must:
RequestValidator, one `INSERT … ON CONFLICT` committed to the same table, fixed TwiML. The bare
app (bench/bare_app.py) is context only. All three run under the same gunicorn settings at
once, each on its own port; wrk loads one at a time with the same pre-signed form, and the runs
alternate (Backline, same-work, bare, Backline, …). Then py-spy profiles Backline and the
same-work baseline for one more run each, and each app is built once in a fresh process to
measure what replacing a worker costs.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from . import figures
from .gunicorn_runner import free_port, serving, worker_settings
from .ivr_measurement import Measurement
from .ivr_report import missing_wrk_section, report_section
from .ivr_setup import backline_env, prepare_backline
from .ivr_sides import BACKLINE, SAME_WORK, SIDES, Run, Server, Side, build_cpu_s
from .profile import Profile, profiled, py_spy
from .wrk import wrk_path

HEADROOM = 2.0  # distinct requests per request the warm-up rate predicts for a measured run


@dataclass(frozen=True)
class Size:
    runs: int  # measured runs of each side, alternating
    warm_up_s: int
    measure_s: int
    profile_s: int
    min_requests: int
    processes: dict[str, str]  # gunicorn's WEB_CONCURRENCY and GUNICORN_THREADS, for every side


FULL = Size(3, 5, 20, 10, 20_000, {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"})
SMOKE = Size(1, 1, 2, 2, 300, {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"})


def run(smoke: bool = False) -> str:
    """Measure the three servers and return the Markdown section."""
    if wrk_path() is None:
        if smoke:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        return missing_wrk_section()
    size = SMOKE if smoke else FULL
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ivr-") as tmp, ExitStack() as stack:
        env = backline_env(Path(tmp), free_port(), size.processes)
        prepare_backline(env, Path(tmp))
        servers = [_start(stack, side, env, Path(tmp)) for side in SIDES]
        for server in servers:
            _warm_up(server, size)
        runs = _alternate(servers, size)
        profiles = _profiles(servers, size) if py_spy() else None
        builds = {side.name: build_cpu_s(side, env) for side in (BACKLINE, SAME_WORK)}
    measurement = Measurement(runs, profiles, builds, worker_settings(env), load_before, size.runs)
    if smoke and not measurement.valid:
        raise RuntimeError("the /ivr/voice smoke run is invalid:\n" + measurement.checks())
    _save_figures(measurement)
    return report_section(measurement)


def _start(stack: ExitStack, side: Side, env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    group = stack.enter_context(serving(side.app_spec, port, env))
    return Server(side, port, group, env, workdir)


def _warm_up(server: Server, size: Size) -> None:
    """Load each server once (imports, pools, prepared statements) and learn its rate."""
    prefix = server.requests("warm-up", size.min_requests // 2)
    server.rate = server.load(prefix, size.warm_up_s).per_second


def _alternate(servers: list[Server], size: Size) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {server.side.name: [] for server in servers}
    for round_number in range(size.runs):
        for server in servers:
            count = max(size.min_requests, int(server.rate * size.measure_s * HEADROOM))
            prefix = server.requests(f"run-{round_number}", count)
            runs[server.side.name].append(server.measure(prefix, size.measure_s))
    return runs


def _profiles(servers: list[Server], size: Size) -> dict[str, tuple[Run, Profile]]:
    """One more run of Backline and of the same-work baseline, sampled by py-spy."""
    return {
        server.side.name: _profiled_run(server, size)
        for server in servers
        if server.side in (BACKLINE, SAME_WORK)
    }


def _profiled_run(server: Server, size: Size) -> tuple[Run, Profile]:
    count = max(size.min_requests, int(server.rate * size.profile_s * HEADROOM))
    prefix = server.requests("profiled", count)
    output = server.workdir / f"{server.port}.profile"
    return profiled(
        server.group, size.profile_s, output, lambda: server.measure(prefix, size.profile_s)
    )


def _save_figures(measurement: Measurement) -> None:
    ours = measurement.median_cpu(BACKLINE.name)
    figures.save(
        "ivr_voice",
        requests_per_s=measurement.median_rate(BACKLINE.name),
        baseline_requests_per_s=measurement.median_rate(SAME_WORK.name),
        cores=len(os.sched_getaffinity(0)),
        cpu_ms_per_request={"web": ours.server, "postgres": ours.database, "wrk": ours.load},
    )
