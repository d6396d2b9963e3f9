"""Every file a package reads at run time (templates, migrations) is in the wheel: the
production install is not editable, so a file pyproject.toml's package-data misses is missing
in production only."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_SUFFIXES = {".html", ".txt", ".mako"}


def _packaged(package: str, patterns: list[str]) -> set[Path]:
    base = ROOT / package
    return {path for pattern in patterns for path in base.glob(pattern)}


def test_package_data_covers_every_template_and_migration_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    covered = {
        p for package, patterns in package_data.items() for p in _packaged(package, patterns)
    }
    needed = {
        path
        for package in package_data
        for path in (ROOT / package).rglob("*")
        if path.suffix in RUNTIME_SUFFIXES and "__pycache__" not in path.parts
    }
    assert sorted(p.relative_to(ROOT) for p in needed - covered) == []
