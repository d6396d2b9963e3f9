"""The three servers of the `/ivr/voice` benchmark and one measured run against one of them.

All three run at once under the same gunicorn settings, each on its own port; only the one being
loaded works, so the runs can alternate between them without restarting anything.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .cpu_meter import CpuUse, metered, processes
from .gunicorn_runner import ROOT
from .ivr_requests import write_request_files
from .ivr_setup import CALLER, SUBSCRIBER, call_rows
from .wrk import THREADS, WrkResult, run_wrk

LUA = Path(__file__).resolve().parent / "ivr_voice.lua"
BUILD = "import importlib, resource, sys; module, _, factory = sys.argv[1].partition(':'); "
BUILD += "getattr(importlib.import_module(module), factory.rstrip('()'))(); "
BUILD += "usage = resource.getrusage(resource.RUSAGE_SELF); print(usage.ru_utime + usage.ru_stime)"


@dataclass(frozen=True)
class Side:
    name: str
    app_spec: str
    writes: bool | None  # the call rows it commits: linked to the outage (True), plain, or none


BACKLINE = Side("Backline", "app:create_app()", True)
SAME_WORK = Side("same-work baseline", "bench.same_work_app:create_app()", False)
BARE = Side("bare Flask, fixed TwiML (context)", "bench.bare_app:create_app()", None)
SIDES = (BACKLINE, SAME_WORK, BARE)


@dataclass(frozen=True)
class Run:
    """One measured run: wrk's figures, CPU per request, rows committed, workers replaced."""

    result: WrkResult
    cpu: CpuUse
    rows: int | None
    replaced: int

    @property
    def valid(self) -> bool:
        rows_ok = self.rows is None or self.rows >= self.result.requests
        return self.result.clean and not self.result.wraps and rows_ok


@dataclass
class Server:
    side: Side
    port: int
    group: int
    env: dict[str, str]
    workdir: Path
    rate: float = 0.0  # requests/s in the warm-up: sizes the distinct requests of each run

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ivr/voice"

    def requests(self, name: str, count: int) -> Path:
        """`count` signed requests with fresh CallSids (the bare app replays one small set)."""
        prefix = self.workdir / f"{self.port}-{name}"
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

    def measure(self, prefix: Path, seconds: int) -> Run:
        rows_before = self._rows()
        workers_before = processes(self.group)
        result, cpu = metered(self.group, lambda: self.load(prefix, seconds))
        replaced = len(processes(self.group) - workers_before)
        rows = None if self.side.writes is None else self._rows() - (rows_before or 0)
        _remove(prefix)
        return Run(result, cpu.per_request(result.requests), rows, replaced)

    def _rows(self) -> int | None:
        return None if self.side.writes is None else call_rows(linked=self.side.writes)


def build_cpu_s(side: Side, env: dict[str, str]) -> float:
    """CPU seconds a fresh process spends importing and building the side's app."""
    command = [sys.executable, "-c", BUILD, side.app_spec]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _remove(prefix: Path) -> None:
    for path in prefix.parent.glob(f"{prefix.name}-*.req"):
        path.unlink()
