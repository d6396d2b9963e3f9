"""Flask's coroutine check is made once per function, and a view still answers through it."""

from __future__ import annotations

import inspect

import pytest
from flask import Flask

from app.core.flask_app import BacklineFlask


def test_each_function_is_checked_once_and_keeps_answering(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(app, BacklineFlask)
    checks: list[object] = []
    real = inspect.iscoroutinefunction

    def counted(func: object) -> bool:
        checks.append(func)
        return real(func)

    monkeypatch.setattr("flask.app.iscoroutinefunction", counted)

    def view() -> str:
        return "ok"

    first = app.ensure_sync(view)
    assert app.ensure_sync(view) is first
    assert first() == "ok"
    assert checks.count(view) == 1
