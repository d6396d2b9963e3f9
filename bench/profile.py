"""Where a server's CPU goes, sampled with py-spy while the benchmark loads it.

py-spy records every process of the gunicorn group (`--subprocesses`), sampling only the thread
that holds the GIL (`--gil`): Python work, not threads waiting on a socket. Each sample is
charged to the innermost frame that belongs to a known library or to Backline (so psycopg
called from Backline's upsert counts as psycopg; py-spy names files relative to their place
on sys.path, e.g. `psycopg/cursor.py`). Shares are turned into milliseconds per
request with the CPU that /proc measured for the web processes over the same run.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .gunicorn_runner import ROOT

T = TypeVar("T")
RATE_HZ = 200
# (label, path fragments of a frame's file), tried in order on each frame from the innermost
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PostgreSQL driver (psycopg)", ("psycopg/", "psycopg_binary/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("Redis client", ("redis/",)),
    ("logging (structlog, logging)", ("structlog/", "logging/")),
    ("rate limiter (Flask-Limiter, limits)", ("flask_limiter/", "limits/")),
    ("signature check", ("app/twilio/signature.py", "twilio/request_validator.py", "hmac.py")),
    ("TwiML (twilio helper)", ("twilio/twiml/",)),
    ("form and URL parsing", ("werkzeug/formparser.py", "werkzeug/sansio/", "urllib/")),
    ("Flask and Werkzeug", ("flask/", "werkzeug/")),
    ("gunicorn (HTTP, sockets, worker loop)", ("gunicorn/", "selectors.py", "socket.py")),
    ("the app's own code", ("app/", "ivr/", "voicemail/", "forwarding/", "bench/")),
    ("threads, queues, locks", ("threading.py", "concurrent/", "queue.py")),
)
OTHER = "everything else"
NATIVE = "no Python frame (native code holding the GIL)"


@dataclass(frozen=True)
class Profile:
    samples: int
    by_category: dict[str, int]

    def share(self, category: str) -> float:
        return self.by_category.get(category, 0) / max(self.samples, 1)


def py_spy() -> str | None:
    """Where py-spy is: the project's venv (a dev dependency), else PATH."""
    local = ROOT / ".venv" / "bin" / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def profiled(pid: int, seconds: int, output: Path, run: Callable[[], T]) -> tuple[T, Profile]:
    """Run `run()` while py-spy samples `pid` and its children for `seconds`."""
    command = [py_spy() or "py-spy", "record", "--pid", str(pid), "--subprocesses", "--gil"]
    command += ["--rate", str(RATE_HZ), "--duration", str(seconds), "--nonblocking"]
    command += ["--format", "raw", "--output", str(output)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = run()
    _, errors = spy.communicate(timeout=seconds + 60)
    if spy.returncode or not output.exists():
        raise RuntimeError(f"py-spy failed (status {spy.returncode}): {errors.strip()[-500:]}")
    return result, categorised(output.read_text(encoding="utf-8"))


def categorised(collapsed: str) -> Profile:
    """Count py-spy's collapsed stacks (`frame;frame;... count` lines) per category."""
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[_category(stack.split(";"))] += int(count)
    return Profile(sum(counts.values()), dict(counts))


def _category(frames: list[str]) -> str:
    if all(frame.startswith("process ") for frame in frames):
        return NATIVE
    for frame in reversed(frames):
        where = frame[frame.rfind("(") + 1 :]
        for label, prefixes in CATEGORIES:
            if where.startswith(prefixes):
                return label
    return OTHER
