"""`python -m bench [--smoke] [NAME...]`: run the benchmarks.

Without `--smoke`, each benchmark runs its full sizes and docs/benchmarks.md is rewritten from
the sections (bench/results/NAME.md keeps each one, so `python -m bench ivr_voice` refreshes
one section and keeps the others' latest). With `--smoke`, each runs a tiny size that only
proves it still works: the sections are printed, nothing under bench/results or docs/ changes,
and the exit status is non-zero if any benchmark failed. The contract a benchmark module
follows is in bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from . import figures

BENCHMARKS = ("ivr_voice", "voicemail_pipeline", "notices", "fanout", "capacity")
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Written by `make bench` on {when} at commit {commit}: {machine}. Every figure comes with a
baseline measured in the same run on the same machine, and the ratio is what counts; absolute
numbers are for context only and depend on the machine. Each section says how loaded the
machine was. Every sentence that explains a figure is computed by the run that measured it, or
is labelled as an analysis from a named commit and date. Regenerate this file with `make bench` (or one section with
`python -m bench NAME`).
"""


def main(argv: list[str]) -> int:
    options = _parser().parse_args(argv)
    names = options.names or list(BENCHMARKS)
    if options.smoke:
        return smoke(names)
    for name in names:
        section = _timed(name, lambda module: module.run())
        (figures.RESULTS / f"{name}.md").write_text(section.rstrip() + "\n", encoding="utf-8")
    write_report()
    return 0


def smoke(names: list[str]) -> int:
    """Run each benchmark's smoke size with results in a scratch directory; count failures."""
    failed = []
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as scratch:
        figures.use_directory(Path(scratch))
        for name in names:
            try:
                print(_timed(name, lambda module: module.run(smoke=True)), flush=True)
            except Exception:  # every benchmark runs; each failure is reported
                traceback.print_exc()
                failed.append(name)
    print(f"smoke: {len(names) - len(failed)} of {len(names)} benchmarks work", flush=True)
    if failed:
        print(f"smoke: FAILED {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def write_report() -> None:
    """docs/benchmarks.md from the latest section of each benchmark."""
    sections = [
        (figures.RESULTS / f"{name}.md").read_text(encoding="utf-8")
        for name in BENCHMARKS
        if (figures.RESULTS / f"{name}.md").exists()
    ]
    header = HEADER.format(when=_now(), commit=figures.commit(), machine=_machine())
    REPORT.write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"wrote {REPORT}")


def _timed(name: str, run: Callable[[ModuleType], str]) -> str:
    module = importlib.import_module(f"bench.{name}")
    started = time.monotonic()
    print(f"==> {name}", flush=True)
    section = run(module)
    print(f"    {name} done in {time.monotonic() - started:.0f} s", flush=True)
    return section


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check they still work")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    return parser


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
