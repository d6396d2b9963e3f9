"""Full or smoke sizes for the notice, fan-out and voicemail benchmarks.

`make bench` runs the full sizes. With `run(smoke=True)` (`python -m bench --smoke`) or
`BENCH_SMOKE=1` each benchmark runs a tiny size that takes seconds: it proves the benchmark still
works (CI runs it), not how fast anything is.
"""

from __future__ import annotations

import os

_asked = False  # by a benchmark's run(smoke=True)


def use_smoke_sizes() -> None:
    """From now on, in this process, every benchmark runs its tiny sizes."""
    global _asked
    _asked = True


def smoke() -> bool:
    """True when a smoke run or BENCH_SMOKE asks for the tiny sizes."""
    wanted = os.environ.get("BENCH_SMOKE", "").strip().lower() not in ("", "0", "false", "no")
    return _asked or wanted


def chosen(full: tuple[int, ...], tiny: tuple[int, ...], override: str) -> list[int]:
    """The sizes to run: `override` (an environment variable, comma-separated), else by mode."""
    given = os.environ.get(override)
    if given:
        return [int(size) for size in given.split(",")]
    return list(tiny if smoke() else full)
