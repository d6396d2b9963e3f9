"""The prober behind /readyz and /metrics: a question that never answers costs its caller the
deadline and no more, and is not asked again while it hangs.

The hung service is a question blocked on an event only the test releases, so the deadline is
what must end the wait whatever the machine's speed; nothing here is timed.
"""

from __future__ import annotations

import threading

from app.core.probes import Outcome, Prober
from tests.helpers import wait_until


def test_answers_and_failures_within_the_deadline_are_reported() -> None:
    def broken() -> str:
        raise ConnectionRefusedError("nobody there")

    outcomes = Prober().ask({"up": lambda: "answered", "down": broken}, timeout=60)

    assert outcomes["up"] == Outcome(value="answered")
    assert outcomes["down"] == Outcome(problem="failed (ConnectionRefusedError; see the logs)")


def test_a_question_that_never_answers_costs_the_deadline_and_is_not_asked_twice() -> None:
    prober = Prober()
    release = threading.Event()
    asked: list[int] = []

    def hung() -> str:
        asked.append(1)
        release.wait()
        return "late"

    try:
        first = prober.ask({"database": hung}, timeout=0.05)
        again = prober.ask({"database": hung}, timeout=0.05)
        wait_until(lambda: asked)
    finally:
        release.set()

    assert first == {"database": Outcome(problem="no answer within 0.05 s")}
    assert again == {"database": Outcome(problem="still waiting for the previous answer")}
    assert asked == [1], "a hung question is not asked again while it hangs"
    # Once it has answered, the next request asks afresh.
    wait_until(lambda: prober.ask({"database": lambda: "back"}, timeout=60)["database"].ok)
