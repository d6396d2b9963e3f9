"""Fixtures for the tests of the app package.

- `make_app`: builds extra apps from the test settings with some settings replaced (a database
  or Redis that is down, another storage or mail provider); their connections are closed after
  the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from tests.support.app_state import dispose_engines

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(settings: dict[str, Any], database: str) -> Iterator[MakeApp]:
    """Factory: make_app(NAME=value, ...) -> an app built from the test settings and these."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(create_app({**settings, **overrides}))
        return made[-1]

    yield make
    for app in made:
        dispose_engines(app)
