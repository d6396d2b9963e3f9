"""The docs say what the code does: the settings, periodic jobs and commands tables equal their
sources, every dependency is explained, every link between the pages resolves, and the README
stays a front door."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.cli import main
from tests.docs.tables import (
    DOCS,
    commands_table,
    interval,
    marked_table,
    periodic_jobs,
    periodic_jobs_table,
    settings,
    settings_table,
    table_rows,
)

ROOT = DOCS.parent
README = ROOT / "README.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.*)$", re.MULTILINE)


def mismatch(page: str, expected: str) -> str:
    return f"docs/{page} is out of date; the table should read:\n\n{expected}\n"


def test_every_setting_the_configuration_reads_is_documented_and_no_other() -> None:
    documented = table_rows(marked_table("configuration.md", "settings"))
    expected = settings_table(documented)
    assert list(documented) == list(settings()), mismatch("configuration.md", expected)


@pytest.mark.parametrize("name", [n for n, default in settings().items() if default is not None])
def test_each_documented_default_is_the_configurations(name: str) -> None:
    default_cell = table_rows(marked_table("configuration.md", "settings"))[name][0]
    assert f"`{settings()[name]}`" in default_cell, f"{name}: the code's default is not shown"


def test_every_other_documented_variable_is_read_somewhere() -> None:
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("app", "ivr", "voicemail", "forwarding", "tests")
        for path in (ROOT / folder).rglob("*.py")
    ) + (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    for name in table_rows(marked_table("configuration.md", "environment")):
        assert f'"{name}"' in sources or f"'{name}'" in sources, f"nothing reads {name}"


def test_the_periodic_jobs_table_names_every_job_with_its_interval() -> None:
    documented = table_rows(marked_table("periodic-jobs.md", "periodic-jobs"))
    expected = periodic_jobs_table(documented)
    shown = {name: cells[0] for name, cells in documented.items()}
    wanted = {name: interval(every_s) for name, every_s in periodic_jobs().items()}
    assert shown == wanted, mismatch("periodic-jobs.md", expected)


def test_the_commands_table_is_the_click_tree() -> None:
    expected = commands_table(main)
    assert marked_table("cli.md", "commands") == expected, mismatch("cli.md", expected)


def test_every_dependency_is_explained() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [_package(spec) for spec in project["dependencies"]]
    development = [_package(spec) for spec in project["optional-dependencies"]["dev"]]
    notes = README.read_text(encoding="utf-8").split("## Dependencies", 1)[1]
    details = (DOCS / "dependencies.md").read_text(encoding="utf-8")
    assert [name for name in runtime if f"**{name}**" not in notes] == []
    assert [name for name in runtime + development if f"**{name}**" not in details] == []


def _package(spec: str) -> str:
    return re.split(r"[<>=;~! ]", spec, maxsplit=1)[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_between_the_pages_resolves(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    broken = []
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


def _anchors(page: Path) -> set[str]:
    if page.suffix != ".md":
        return set()
    headings = HEADING.findall(page.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readme_is_a_front_door_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400
    block = text.split("## The two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == [
        "make run",
        "make test",
    ]


def test_the_readme_maps_every_docs_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert [
        page.name for page in sorted(DOCS.glob("*.md")) if f"(docs/{page.name})" not in text
    ] == []
