"""What the `/ivr/voice` benchmark measured: every run of each side, the profiles, the builds."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from .cpu_meter import CpuUse
from .ivr_sides import BACKLINE, SAME_WORK, Run
from .profile import Profile


@dataclass(frozen=True)
class Measurement:
    runs: dict[str, list[Run]]  # by side name, in the order they ran
    profiles: dict[str, tuple[Run, Profile]] | None  # None: py-spy is not installed
    builds: dict[str, float]  # CPU seconds to import and build each app in a fresh process
    workers: str
    load_before: float
    rounds: int

    def median_rate(self, name: str) -> float:
        return statistics.median(run.result.per_second for run in self.runs[name])

    def median_cpu(self, name: str) -> CpuUse:
        cpus = [run.cpu for run in self.runs[name]]
        return CpuUse(
            *(statistics.median(getattr(c, f) for c in cpus) for f in CpuUse.__match_args__)
        )

    def ratios(self, figure: Callable[[Run], float]) -> list[float]:
        """Backline's figure over the same-work baseline's, round by round."""
        pairs = zip(self.runs[BACKLINE.name], self.runs[SAME_WORK.name], strict=True)
        return [figure(ours) / figure(theirs) for ours, theirs in pairs]

    @property
    def valid(self) -> bool:
        return all(run.valid for runs in self.runs.values() for run in runs)

    def checks(self) -> str:
        problems = [
            f"{name}, run {number}: {_problem(run)}"
            for name, runs in self.runs.items()
            for number, run in enumerate(runs, 1)
            if not run.valid
        ]
        if problems:
            return "**INVALID RUN**: " + "; ".join(problems) + "."
        ours = self.runs[BACKLINE.name]
        answers = sum(run.result.requests for run in ours)
        rows = sum(run.rows or 0 for run in ours)
        return (
            f"every answer 2xx on every side; Backline answered {answers:,} requests in its "
            f"measured runs and committed {rows:,} call rows (requests in flight when wrk stopped "
            "add a few); no CallSid was sent twice, and the same-work baseline committed a row "
            "for every answer too."
        )


def _problem(run: Run) -> str:
    result = run.result
    found = [
        f"{result.status_errors} non-2xx" if result.status_errors else "",
        f"{result.socket_errors} socket errors" if result.socket_errors else "",
        f"{result.timeouts} timeouts" if result.timeouts else "",
        f"{result.wraps} CallSid repeats" if result.wraps else "",
        f"{run.rows} rows for {result.requests} answers"
        if run.rows is not None and run.rows < result.requests
        else "",
    ]
    return ", ".join(problem for problem in found if problem)
