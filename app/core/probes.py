"""Asking the services Backline talks to how they are, without waiting on a hung one.

/readyz and /metrics ask the database, Redis, storage and mail. Each question runs on its own
daemon thread and the caller waits at most one deadline for all of them together, so a database
that accepts connections and never answers costs a request that deadline and no more. A question
still unanswered from an earlier request is not asked again until it ends: a hung service must not
collect one thread per probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from flask import Flask

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one question got: a value, or a sentence saying why there is none."""

    value: T | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class Prober:
    """Runs named questions on daemon threads, each name at most once at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: set[str] = set()

    def ask(
        self, questions: Mapping[str, Callable[[], T]], timeout: float
    ) -> dict[str, Outcome[T]]:
        """Ask every question at once; wait at most `timeout` seconds for all the answers."""
        answers: dict[str, Outcome[T]] = {}
        finished = {name: threading.Event() for name in questions}
        for name, question in questions.items():
            if self._claim(name):
                worker = threading.Thread(
                    target=self._answer,
                    args=(name, question, answers, finished[name]),
                    name=f"backline-probe-{name}",
                    daemon=True,
                )
                worker.start()
            else:
                answers[name] = Outcome(problem="still waiting for the previous answer")
                finished[name].set()
        deadline = time.monotonic() + timeout
        for event in finished.values():
            event.wait(max(0.0, deadline - time.monotonic()))
        late: Outcome[T] = Outcome(problem=f"no answer within {timeout:g} s")
        return {name: answers[name] if finished[name].is_set() else late for name in questions}

    def _claim(self, name: str) -> bool:
        with self._lock:
            if name in self._busy:
                return False
            self._busy.add(name)
            return True

    def _answer(
        self,
        name: str,
        question: Callable[[], T],
        answers: dict[str, Outcome[T]],
        finished: threading.Event,
    ) -> None:
        try:
            answers[name] = Outcome(value=question())
        except Exception as exc:  # any failure is an answer: "not available", with the reason
            log.warning("probe failed", probe=name, error=type(exc).__name__, detail=str(exc))
            answers[name] = Outcome(problem=f"failed ({type(exc).__name__}; see the logs)")
        finally:
            with self._lock:
                self._busy.discard(name)
            finished.set()


def prober(app: Flask) -> Prober:
    """The app's prober (one per app, shared by /readyz and /metrics)."""
    found: Prober = app.extensions.setdefault("backline.prober", Prober())
    return found
