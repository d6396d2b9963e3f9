"""Key figures a benchmark leaves for others (bench/results/NAME.json): the capacity section
is computed from the latest measured costs, never from numbers typed in by hand.

A smoke run (`python -m bench --smoke`) points RESULTS at a scratch directory first, so tiny
runs never replace the full ones' figures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def use_directory(directory: Path) -> None:
    """Keep this run's sections and figures in `directory` instead of bench/results."""
    global RESULTS
    RESULTS = directory


def save(name: str, **figures: Any) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def commit() -> str:
    """The commit the benchmarks ran at (with `+changes` when the work tree differs)."""
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if _git("status", "--porcelain", "--untracked-files=no") else "")


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()
