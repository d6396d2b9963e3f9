"""The Dockerfile, compose.yaml and the systemd units run exactly the Procfile's commands, and
install what requirements.lock pins. (tests/deploy/test_production_install.py runs them.)"""

from __future__ import annotations

import re
import shlex
import tomllib

import pytest

from tests.deploy.process_files import (
    ROOT,
    compose,
    docker_run_commands,
    dockerfile,
    dockerfile_cmd,
    procfile,
    systemd_units,
)

COMPOSE_SERVICES = {"migrate": "release", "web": "web", "worker": "worker", "periodic": "periodic"}
SYSTEMD_UNITS = {
    "backline-migrate.service": "release",
    "backline-web.service": "web",
    "backline-worker.service": "worker",
    "backline-periodic.service": "periodic",
}
VENV_BIN = "/opt/backline/venv/bin/"
PACKAGE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+")


def test_the_procfile_has_the_four_processes_these_files_run() -> None:
    assert sorted(procfile()) == sorted(COMPOSE_SERVICES.values())


def test_the_image_runs_the_procfiles_web_process_by_default() -> None:
    assert dockerfile_cmd() == procfile()["web"]


def test_the_image_names_the_procfiles_other_processes_exactly() -> None:
    others = [argv for name, argv in procfile().items() if name != "web"]
    assert sorted(docker_run_commands()) == sorted(others)


def test_the_image_is_slim_runs_as_a_user_and_installs_only_the_locked_dependencies() -> None:
    instructions = dockerfile()
    stages = [arguments for instruction, arguments in instructions if instruction == "FROM"]
    assert all(re.match(r"python:3\.\d+-slim\b", stage) for stage in stages)
    [user] = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert user not in ("root", "0")
    installs = [
        shlex.split(arguments)
        for instruction, arguments in instructions
        if instruction == "RUN" and "pip install" in arguments
    ]
    [locked, backline] = installs
    assert "--require-hashes" in locked
    assert locked[locked.index("-r") + 1].endswith("requirements.lock")
    assert "--no-deps" in backline
    assert any(word.endswith(".whl") for word in backline)  # a wheel: never editable
    assert not any("[dev]" in word or word == "-e" for words in installs for word in words)


@pytest.mark.parametrize(("service", "process"), COMPOSE_SERVICES.items())
def test_each_compose_service_runs_its_procfile_process(service: str, process: str) -> None:
    assert compose()["services"][service]["command"] == procfile()[process]


def test_compose_migrates_once_before_web_and_the_workers_start() -> None:
    services = compose()["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("web", "worker", "periodic"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_compose_checks_web_on_healthz_and_readyz() -> None:
    check = compose()["services"]["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    compile(check[3], "healthcheck", "exec")  # tests/deploy runs it against gunicorn too
    assert "/healthz" in check[3]
    assert "/readyz" in check[3]


def test_compose_gives_backline_its_postgresql_and_redis() -> None:
    services = compose()["services"]
    for name in COMPOSE_SERVICES:
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://backline:")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/backline")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert {"postgres", "redis"} <= set(services)


@pytest.mark.parametrize(("unit", "process"), SYSTEMD_UNITS.items())
def test_each_systemd_unit_runs_its_procfile_process(unit: str, process: str) -> None:
    program, *arguments = shlex.split(systemd_units()[unit]["Service"]["ExecStart"])
    expected_program, *expected_arguments = procfile()[process]
    assert program == VENV_BIN + expected_program
    assert arguments == expected_arguments


def test_the_systemd_units_migrate_once_before_the_others_start() -> None:
    units = systemd_units()
    assert sorted(units) == sorted(SYSTEMD_UNITS)
    assert units["backline-migrate.service"]["Service"]["Type"] == "oneshot"
    for name in SYSTEMD_UNITS:
        if name != "backline-migrate.service":
            assert "backline-migrate.service" in units[name]["Unit"]["Requires"].split()
            assert "backline-migrate.service" in units[name]["Unit"]["After"].split()
    assert all(unit["Service"]["User"] == "backline" for unit in units.values())


def test_the_lock_pins_every_runtime_dependency_with_hashes_and_no_development_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entries = _lock_entries()
    pinned = {_normalised(PACKAGE.match(entry)[1]) for entry in entries}  # type: ignore[index]
    runtime = {_normalised(_name(spec)) for spec in project["dependencies"]}
    development = {_normalised(_name(spec)) for spec in project["optional-dependencies"]["dev"]}
    assert runtime - pinned == set()
    assert development & pinned == set()
    assert [entry for entry in entries if "--hash=sha256:" not in entry] == []


def _lock_entries() -> list[str]:
    """One string per pinned package: its line and its continuation lines."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries: list[str] = []
    for line in text.splitlines():
        if PACKAGE.match(line):
            entries.append(line)
        elif line.startswith("    --hash=") and entries:
            entries[-1] += line
    return entries


def _name(spec: str) -> str:
    return re.split(r"[<>=;~!\[ ]", spec, maxsplit=1)[0]


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
