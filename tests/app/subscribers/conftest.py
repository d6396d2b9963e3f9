"""Fixtures for the tests of app.subscribers.

- `write_csv`: writes a subscribers CSV file (text or raw bytes) into the test's directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(content: str | bytes, name: str = "subscribers.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write
