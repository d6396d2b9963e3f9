"""Full or smoke sizes for the notice, fan-out and voicemail benchmarks.

`make bench` runs the full sizes. With `BENCH_SMOKE=1` each benchmark runs a tiny size that
takes seconds: it proves the benchmark still works (CI runs it), not how fast anything is.
"""

from __future__ import annotations

import os


def smoke() -> bool:
    """True when BENCH_SMOKE asks for the tiny sizes."""
    return os.environ.get("BENCH_SMOKE", "").strip().lower() not in ("", "0", "false", "no")


def chosen(full: tuple[int, ...], tiny: tuple[int, ...], override: str) -> list[int]:
    """The sizes to run: `override` (an environment variable, comma-separated), else by mode."""
    given = os.environ.get(override)
    if given:
        return [int(size) for size in given.split(",")]
    return list(tiny if smoke() else full)
