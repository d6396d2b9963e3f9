"""What the docs' generated tables must say, read from the code.

Each table sits in a docs page between `<!-- NAME:start -->` and `<!-- NAME:end -->`. The tests
compare it with what these functions build; on a mismatch they print the whole expected table,
ready to paste, with the hand-written descriptions of existing rows kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import click

from app.core.config import DEFAULTS
from app.periodic_table import PERIODIC_JOBS

DOCS = Path(__file__).resolve().parents[2] / "docs"
TODO = "TODO: say what it is for."


def periodic_jobs() -> dict[str, float]:
    """Each periodic job's name and interval in seconds, in the order the scheduler runs them."""
    return {job.name: float(job.every_s) for job in PERIODIC_JOBS}


def settings() -> dict[str, object]:
    """Every setting the configuration reads, with its default (None: unset)."""
    return dict(DEFAULTS)


def marked_table(page: str, marker: str) -> str:
    """The text between a page's markers, without the surrounding blank space."""
    text = (DOCS / page).read_text(encoding="utf-8")
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    assert start in text and end in text, f"docs/{page} lacks the {marker} markers"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def table_rows(table: str) -> dict[str, list[str]]:
    """The rows of a Markdown table by their first cell (backquotes removed), header skipped."""
    rows = {}
    for line in table.splitlines()[2:]:
        first, *rest = line.strip().strip("|").split("|", 2)
        rows[first.strip().strip("`")] = [cell.strip() for cell in rest]
    return rows


def settings_table(documented: Mapping[str, list[str]]) -> str:
    """The settings table: one row per setting, in the configuration's order."""
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, default in settings().items():
        shown = "unset" if default is None else f"`{default}`"
        cells = documented.get(name, [shown, TODO])
        lines.append(f"| `{name}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def periodic_jobs_table(documented: Mapping[str, list[str]]) -> str:
    """The periodic jobs table: name, interval, and what each recovers."""
    lines = ["| Job | Every | What it recovers |", "|---|---|---|"]
    for name, every_s in periodic_jobs().items():
        what = documented.get(name, ["", TODO])[-1]
        lines.append(f"| `{name}` | {interval(every_s)} | {what} |")
    return "\n".join(lines)


def interval(seconds: float) -> str:
    """An interval as the docs write it: `5 s`, `10 min`, `1 h`."""
    whole = int(seconds)
    if whole >= 3600 and whole % 3600 == 0:
        return f"{whole // 3600} h"
    if whole >= 600 and whole % 60 == 0:
        return f"{whole // 60} min"
    return f"{whole} s"


def commands_table(group: click.Group) -> str:
    """The CLI table, wholly from the click tree: command, arguments and options, help."""
    lines = ["| Command | Arguments and options | What it does |", "|---|---|---|"]
    for path, command in walk(group, ("backline",)):
        usage = synopsis(command).replace("|", "\\|")
        lines.append(f"| `{path}` | {usage} | {command.get_short_help_str(200)} |")
    return "\n".join(lines)


def walk(group: click.Group, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    """Every leaf command under `group`, with its full name."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def synopsis(command: click.Command) -> str:
    """`ARG [--option VALUE]...` for one command, in the order click declares them."""
    return " ".join(_param_usage(param) for param in command.params if not _is_help(param))


def _is_help(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and param.name == "help"


def _param_usage(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        long_name = max(param.opts, key=len)
        text = long_name if param.is_flag else f"{long_name} {_value_name(param)}"
    else:
        text = (param.metavar or (param.name or "").upper()).strip("[]")
    text = f"`{text}`"
    if param.multiple:
        text += "..."
    return text if param.required else f"[{text}]"


def _value_name(param: click.Option) -> str:
    if param.metavar:
        return param.metavar
    if isinstance(param.type, click.Choice):
        return "|".join(str(choice) for choice in param.type.choices)
    return param.type.name.upper().removesuffix(" RANGE")
