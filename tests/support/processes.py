"""Real `backline worker` processes for the tests, and what became of their children.

- `start_worker(env, log)`: `python -m app.cli worker` in its own process group, output to `log`.
- `stop(process)`: SIGTERM to its group, SIGKILL if it does not stop within 15 s.
- `children_of(pid)` / `gone(pid)`: read from /proc (Linux), to see which processes a worker
  forked and whether they outlived it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `backline worker` with this environment; fail the test if it exits at once."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
    time.sleep(0.5)
    assert process.poll() is None, log.read_text()
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and its group: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    _signal_group(process.pid, signal.SIGKILL)  # whatever it left behind in its group


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and int(stat[1]) == pid and stat[0] != "Z":
                children.append(int(entry.name))
    return children


def gone(pid: int) -> bool:
    """Whether a process has ended (a zombie nobody reaped has ended too)."""
    stat = _stat(pid)
    return stat is None or stat[0] in ("Z", "X")


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, parent pid) from /proc/PID/stat, or None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # the command name may hold spaces and parentheses
    return fields[0], fields[1]
