"""The Flask app class: Flask, with one per-request cost taken out.

Flask asks `inspect` whether each view and each before- and after-request hook is a coroutine
function, on every request, to run async ones in a thread: eight times for a Twilio webhook,
a few percent of answering a call. Whether a function is a coroutine function does not change,
so here it is asked once per function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class BacklineFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # views, hooks and handlers are registered once: a few dozen entries
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced
