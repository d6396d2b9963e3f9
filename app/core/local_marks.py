"""Marks kept by one process: "this was done, do not do it again for a while"."""

from __future__ import annotations

import threading
import time


class LocalMarks:
    """One process's marks: key -> when it may be used again (monotonic seconds)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._until) > 10_000:  # forget what has lapsed before it grows further
                self._until = {k: t for k, t in self._until.items() if t > now}
            if self._until.get(key, 0.0) > now:
                return False
            self._until[key] = now + seconds
            return True

    def forget(self, key: str) -> None:
        with self._lock:
            self._until.pop(key, None)
