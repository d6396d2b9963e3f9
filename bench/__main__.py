"""`python -m bench [NAME...]`: run the benchmarks and write docs/benchmarks.md.

Each benchmark module has `run() -> str`, returning its section of the report in Markdown. A
benchmark that cannot run here (a missing program) says why in its section instead of failing
the others. Each section is kept in bench/results/NAME.md, so running one benchmark
(`python -m bench ivr_voice`) refreshes its section and keeps the others' latest.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = ("ivr_voice", "voicemail_pipeline", "notices", "fanout", "capacity")
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
RESULTS = Path(__file__).resolve().parent / "results"
HEADER = """# Benchmarks

Written by `make bench` on {when}: {machine}. Every figure comes with a baseline measured in
the same run on the same machine, and the ratio is what counts; absolute numbers are for context
only and depend on the machine. Each section says when it was measured and how loaded the
machine was. Regenerate this file with `make bench` (or one section with `python -m bench NAME`).
"""


def main(names: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        print(f"==> {name}", flush=True)
        (RESULTS / f"{name}.md").write_text(module.run().rstrip() + "\n", encoding="utf-8")
        print(f"    done in {time.monotonic() - started:.0f} s", flush=True)
    sections = [
        (RESULTS / f"{name}.md").read_text(encoding="utf-8")
        for name in BENCHMARKS
        if (RESULTS / f"{name}.md").exists()
    ]
    machine = f"{platform.processor() or platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    REPORT.write_text(HEADER.format(when=when, machine=machine) + "\n" + "\n".join(sections))
    print(f"wrote {REPORT}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
