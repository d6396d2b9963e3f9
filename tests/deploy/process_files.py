"""The process descriptions in the repository, read as the programs that run them read them.

- `procfile()`: the Procfile's processes, each an argv (split as a shell splits it).
- `dockerfile()`: the Dockerfile's instructions; `docker_run_commands()`: the other processes its
  header says run from the image (`docker run IMAGE ...`).
- `compose()`: compose.yaml, parsed.
- `systemd_units()`: each unit under deploy/systemd, as {section: {key: value}}.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
DOCKER_RUN = re.compile(r"^#\s+docker run IMAGE (.+)$", re.MULTILINE)


def procfile() -> dict[str, list[str]]:
    """Process name to argv, from the Procfile."""
    processes = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) for each instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n\s*", " ", re.sub(r"^\s*#.*\n", "", text, flags=re.MULTILINE))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in logical.splitlines()
        if line.strip()
    ]


def dockerfile_cmd() -> list[str]:
    """The final stage's CMD, in its exec (JSON) form."""
    [*_, cmd] = [arguments for instruction, arguments in dockerfile() if instruction == "CMD"]
    parsed: list[str] = json.loads(cmd)
    return parsed


def docker_run_commands() -> list[list[str]]:
    """The commands the Dockerfile's header gives for the other processes."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return [shlex.split(command) for command in DOCKER_RUN.findall(text)]


def compose() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return parsed


def systemd_units() -> dict[str, dict[str, dict[str, str]]]:
    """Unit file name to its sections (systemd's syntax is close enough to INI for these)."""
    units = {}
    for path in sorted(SYSTEMD.glob("*.service")):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
        parser.read_string(path.read_text(encoding="utf-8"))
        units[path.name] = {section: dict(parser[section]) for section in parser.sections()}
    return units
