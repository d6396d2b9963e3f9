"""`backline` keeps to click's conventions: only Backline's commands, `--help` anywhere and without
any settings, plain logs when nobody watches a terminal, and reports that say what just happened.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.cli import main
from app.cli.choices import OUTAGE_STATES, WORKER_QUEUES
from app.cli.serve import _announce
from app.core.extensions import db
from app.core.jobs import QUEUES
from app.core.periodic import PERIODIC_QUEUES
from app.models import Notice, OutageEvent, OutageState
from tests.app.cli.outage_cli_helpers import assert_usage_error, fresh
from tests.conftest import Invoke

BACKLINES_COMMANDS = {
    "admin",
    "db",
    "deliveries",
    "outage",
    "purge",
    "serve",
    "simulate-call",
    "subscribers",
    "token",
    "twilio",
    "worker",
}
ANSI_ESCAPE = "\x1b["


def command_paths(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `group`, as the words that name it."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*path, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*path, name)))
    return paths


def bare_backline(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`backline ARGS` in an environment with nothing but PATH (and `env`), no .env in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("path", [(), *command_paths(main)], ids=" ".join)
def test_help_works_with_no_environment_at_all(path: tuple[str, ...], tmp_path: Path) -> None:
    result = bare_backline(tmp_path, *path, "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: {' '.join(('backline', *path))} ")
    assert result.stderr == ""


def test_help_lists_only_backlines_commands_and_options(tmp_path: Path) -> None:
    result = bare_backline(tmp_path, "--help")

    listed = result.stdout.split("Commands:", 1)[1].splitlines()
    assert {line.split()[0] for line in listed if line.strip()} == BACKLINES_COMMANDS
    options = result.stdout.split("Options:", 1)[1].split("Commands:", 1)[0]
    assert [line.split()[0] for line in options.splitlines() if line.strip()] == ["--help"]
    assert set(main.commands) == BACKLINES_COMMANDS


def test_help_imports_neither_flask_nor_the_database_layer(tmp_path: Path) -> None:
    """What made every call cost 1.5 s of CPU: `--help` now builds no app and imports no
    framework (a check on what is imported, not on how fast this machine is)."""
    script = (
        "import sys\n"
        "from app.cli import main\n"
        "try:\n"
        "    main(['outage', 'update', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('flask', 'sqlalchemy', 'redis', 'rq', 'structlog', 'app.models')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_command_without_its_settings_says_which_are_missing(tmp_path: Path) -> None:
    result = bare_backline(tmp_path, "outage", "list")

    assert result.returncode == 1
    assert "BACKLINE_SECRET_KEY" in result.stderr and "BACKLINE_ENV=development" in result.stderr
    assert "Traceback" not in result.stderr


def _upgrade_logs(tmp_path: Path, **env: str) -> str:
    result = bare_backline(
        tmp_path,
        "db",
        "upgrade",
        BACKLINE_ENV="development",
        BACKLINE_INSTANCE_PATH=str(tmp_path / "instance"),
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert "Running upgrade" in result.stderr
    return result.stderr


def test_logs_to_a_pipe_are_plain_text(tmp_path: Path) -> None:
    logs = _upgrade_logs(tmp_path)

    assert ANSI_ESCAPE not in logs
    assert re.search(r"^\S+Z \[info\s*\] Running upgrade", logs, re.MULTILINE), logs


def test_logs_to_a_terminal_are_coloured(tmp_path: Path) -> None:
    """The other side of the plain-text test: the same command on a terminal does colour."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "app.cli", "db", "upgrade"],
            cwd=tmp_path,
            env={
                "PATH": os.environ["PATH"],
                "BACKLINE_ENV": "development",
                "BACKLINE_INSTANCE_PATH": str(tmp_path / "instance"),
            },
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=120,
        )
        os.close(follower)
        written = _read_all(leader)
    finally:
        os.close(leader)

    assert process.returncode == 0, written
    assert "Running upgrade" in written and ANSI_ESCAPE in written


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal's other end is closed: all of it has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_json_logs_stay_available(tmp_path: Path) -> None:
    logs = _upgrade_logs(tmp_path, BACKLINE_LOG_FORMAT="json")

    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(line["event"].startswith("Running upgrade") for line in lines), logs
    assert ANSI_ESCAPE not in logs


def test_outage_start_help_says_all_reaches_everyone(cli: Invoke) -> None:
    result = cli("outage", "start", "--help")

    assert result.exit_code == 0
    assert "--all is the way to reach" in " ".join(result.output.split())


def test_the_eta_can_be_cleared(cli: Invoke, outage: Any) -> None:
    row = outage()
    set_eta = cli("outage", "update", str(row.id), "--eta", "2030-05-05T05:05")
    assert set_eta.exit_code == 0, set_eta.output
    assert fresh(row.id).etr == datetime(2030, 5, 5, 5, 5, tzinfo=UTC)

    cleared = cli("outage", "update", str(row.id), "--clear-eta")

    assert cleared.exit_code == 0, cleared.output
    after = fresh(row.id)
    assert after.etr is None
    assert after.events[-1].action == "update" and after.events[-1].changes == {"etr": None}
    assert [n.kind for n in _notices(row.id)] == ["start", "update", "update"]


def test_an_eta_and_its_clearing_together_are_refused(cli: Invoke, outage: Any) -> None:
    row = outage()

    result = cli("outage", "update", str(row.id), "--eta", "2030-05-05T05:05", "--clear-eta")

    assert_usage_error(result, "--clear-eta")
    assert [e.action for e in fresh(row.id).events] == ["start"]


def _notices(outage_id: int) -> list[Notice]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Notice).where(Notice.outage_id == outage_id).order_by(Notice.id))
    )


def _notices_named(output: str) -> set[int]:
    return {int(n) for n in re.findall(r"\b[Nn]otice (\d+)", output)}


def test_update_and_resolve_report_only_the_notice_they_queued(cli: Invoke, outage: Any) -> None:
    row = outage()
    (started,) = _notices(row.id)

    updated = cli("outage", "update", str(row.id), "--subscriber-message", "Crews are on site.")
    assert updated.exit_code == 0, updated.output
    update_notice = _notices(row.id)[-1]
    resolved = cli("outage", "resolve", str(row.id))
    assert resolved.exit_code == 0, resolved.output
    resolve_notice = _notices(row.id)[-1]

    assert (update_notice.kind, resolve_notice.kind) == ("update", "resolve")
    assert _notices_named(updated.stdout) == {update_notice.id}, updated.stdout
    assert _notices_named(resolved.stdout) == {resolve_notice.id}, resolved.stdout
    assert started.id not in _notices_named(updated.stdout + resolved.stdout)


def test_a_change_that_tells_nobody_says_so(cli: Invoke, outage: Any) -> None:
    row = outage()

    result = cli("outage", "update", str(row.id), "--state", "identified")

    assert result.exit_code == 0, result.output
    assert "No notice" in result.stdout and _notices_named(result.stdout) == set()
    assert fresh(row.id).state == OutageState.IDENTIFIED
    events = db.session.scalars(select(OutageEvent).where(OutageEvent.outage_id == row.id))
    assert [e.action for e in events] == ["start", "update"]


@pytest.mark.parametrize(
    ("public_url", "explained"),
    [("http://127.0.0.1:5000", True), ("https://backline.provider.example", False)],
    ids=["loopback", "public"],
)
def test_the_serve_banner_explains_a_loopback_voice_url(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    public_url: str,
    explained: bool,
) -> None:
    monkeypatch.setitem(app.config, "BACKLINE_PUBLIC_URL", public_url)

    _announce(app)

    banner = " ".join(capsys.readouterr().out.split())
    assert f"Voice URL: {public_url}/ivr/voice" in banner
    for words in (
        "simulate-call",
        "public https URL",
        "TLS",
        "docs/twilio.md",
        "docs/deployment.md",
    ):
        assert (words in banner) is explained, words


def test_the_front_door_leads_to_the_admin_ui(client: FlaskClient) -> None:
    answer = client.get("/")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"
    assert client.get("/healthz").status_code == 200


def test_the_cli_lists_of_states_and_queues_are_their_sources() -> None:
    assert tuple(state.value for state in OutageState) == OUTAGE_STATES
    assert (*QUEUES, *PERIODIC_QUEUES) == WORKER_QUEUES
