"""Run wrk with a Lua script and read the figures its `done()` prints on a `BENCH` line."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

THREADS = 2
CONNECTIONS = 16


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int  # responses other than 2xx/3xx
    socket_errors: int
    timeouts: int
    wraps: int  # times a thread ran out of distinct requests and started over

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def clean(self) -> bool:
        """Whether every request got a 2xx/3xx answer without socket errors or timeouts."""
        return not (self.status_errors or self.socket_errors or self.timeouts)


def wrk_path() -> str | None:
    """Where wrk is installed, or None."""
    return shutil.which("wrk")


def run_wrk(
    url: str, script: Path, args: list[str], seconds: int, connections: int = CONNECTIONS
) -> WrkResult:
    """Load `url` for `seconds` with THREADS threads and `connections` keep-alive connections."""
    command = [wrk_path() or "wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(script), url, "--", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_bench_line(output)


def parse_bench_line(output: str) -> WrkResult:
    """The WrkResult from the `BENCH key=value ...` line of the script's output."""
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    values = dict(field.split("=", 1) for field in line.split()[1:])
    number = {key: int(value) for key, value in values.items()}
    return WrkResult(
        requests=number["requests"],
        seconds=number["duration_us"] / 1e6,
        p50_ms=number["p50_us"] / 1e3,
        p90_ms=number["p90_us"] / 1e3,
        p99_ms=number["p99_us"] / 1e3,
        max_ms=number["max_us"] / 1e3,
        status_errors=number["status_errors"],
        socket_errors=number["socket_errors"],
        timeouts=number["timeouts"],
        wraps=number["wraps"],
    )
