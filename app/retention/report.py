"""What one purge run did, and what it left for the next one."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class PurgeIncomplete(RuntimeError):
    """Copies of some voicemails remain after a purge; the next run tries again."""


class Result(enum.StrEnum):
    PURGED = "purged"
    WAITING = "waiting"  # work still under way on it: purged by a later run, not an error
    FAILED = "failed"  # a copy remains because a deletion failed: retried by the next run


@dataclass(frozen=True)
class Outcome:
    voicemail_id: int
    recording_sid: str
    erasure: bool  # its subscriber was deleted (rather than: it is old enough)
    result: Result
    detail: str = ""

    def describe(self) -> str:
        """`voicemail 12 (RE…): what is left and why`, for people."""
        why = f": {self.detail}" if self.detail else ""
        return f"voicemail {self.voicemail_id} ({self.recording_sid}){why}"


@dataclass
class PurgeReport:
    cutoff: datetime | None  # voicemails recorded before it were due; None: erasures only
    outcomes: list[Outcome] = field(default_factory=list)
    calls_anonymised: int = 0
    set_aside_purged: int = 0  # pending entries no handler could apply, kept past the cutoff
    unreached: int = 0  # due, but the run's time was up: the next run goes on with them

    def with_result(self, result: Result) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.result == result]

    @property
    def complete(self) -> bool:
        """Whether nothing failed (voicemails still in flight do not count as failures)."""
        return not self.with_result(Result.FAILED)

    def summary(self) -> str:
        """One line for logs: how many were purged, are waiting, failed."""
        counts = {result: len(self.with_result(result)) for result in Result}
        return (
            f"{counts[Result.PURGED]} voicemail(s) purged, {counts[Result.WAITING]} waiting, "
            f"{counts[Result.FAILED]} failed, {self.unreached} left for the next run; "
            f"{self.calls_anonymised} call(s) anonymised, "
            f"{self.set_aside_purged} set-aside pending entr(ies) deleted"
        )

    def raise_if_incomplete(self) -> None:
        """Raise PurgeIncomplete naming what failed, so a job's failure (and retry) shows it."""
        failed = self.with_result(Result.FAILED)
        if failed:
            details = "; ".join(outcome.describe() for outcome in failed[:5])
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            raise PurgeIncomplete(f"{self.summary()}. Left: {details}{more}")
