"""CPU seconds spent by the server, PostgreSQL and the load generator during one measured run.

Read from /proc (Linux): a process's own user and system time, plus what its exited children
used once it reaped them, so workers gunicorn recycled and backends PostgreSQL ended still count.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds over one run: the server under test, PostgreSQL, and wrk."""

    server: float
    database: float
    load: float

    def per_request(self, requests: int) -> CpuUse:
        """The same in milliseconds per request."""
        scale = 1000 / max(requests, 1)
        return CpuUse(self.server * scale, self.database * scale, self.load * scale)


def metered(server_group: int, run: Callable[[], T]) -> tuple[T, CpuUse]:
    """Run `run()` and return its result with the CPU each side used meanwhile."""
    before = _server(server_group), _postgres(), _children()
    result = run()
    after = _server(server_group), _postgres(), _children()
    server, database, load = (end - start for start, end in zip(before, after, strict=True))
    return result, CpuUse(server, database, load)


def processes(group: int) -> set[int]:
    """The live processes of a process group (gunicorn's arbiter and its workers)."""
    return {stat.pid for stat in _stats() if stat.group == group}


def _server(group: int) -> float:
    """Every live process of gunicorn's process group, and the arbiter's reaped workers."""
    return sum(_seconds(stat, reaped=stat.pid == group) for stat in _stats() if stat.group == group)


def _postgres() -> float:
    return sum(
        _seconds(stat, reaped=stat.parent == 1) for stat in _stats() if stat.name == "postgres"
    )


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once subprocess.run reaped it
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class _Stat:
    pid: int
    name: str
    parent: int
    group: int
    ticks: tuple[int, int, int, int]  # utime, stime, cutime, cstime


def _seconds(stat: _Stat, reaped: bool) -> float:
    user, system, child_user, child_system = stat.ticks
    own = user + system
    return (own + child_user + child_system if reaped else own) / TICKS


def _stats() -> Iterator[_Stat]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it exited while we looked
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        # utime stime cutime cstime
        ticks = tuple(int(value) for value in fields[11:15])
        yield _Stat(int(entry.name), name, int(fields[1]), int(fields[2]), ticks)  # type: ignore[arg-type]
