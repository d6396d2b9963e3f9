"""The production install, run: the Procfile's processes start from the locked, non-editable
install (`honcho start`, as a Procfile runner would) on PostgreSQL and Redis, compose.yaml's
health check passes against gunicorn, and a simulated outage call ends as an emailed voicemail.

.ci/production_smoke builds that install in a fresh venv and runs this file with
BACKLINE_PRODUCTION_VENV (the venv), BACKLINE_SMOKE_DATABASE_URL (a database it may drop and
create again) and BACKLINE_SMOKE_REDIS_URL (a Redis database it may empty). Without them the
test is skipped: building the install takes a minute.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from psycopg import sql

from tests.deploy.process_files import ROOT, compose, procfile
from tests.helpers import free_port, mp3_attachment, mp3_duration, wait_until
from tests.support.processes import stop
from tests.support.smtp import SmtpSink

VENV = os.environ.get("BACKLINE_PRODUCTION_VENV")
DATABASE_URL = os.environ.get("BACKLINE_SMOKE_DATABASE_URL")
REDIS_URL = os.environ.get("BACKLINE_SMOKE_REDIS_URL")
SUBSCRIBER = "+14155550100"  # Acme Plumbing in examples/subscribers.csv, region us-west
MAILBOXES = ["office@acme.example", "owner@acme.example"]
SPOKEN_SECONDS = 3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not (VENV and DATABASE_URL and REDIS_URL), reason="run by .ci/production_smoke"
    ),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Where the processes run, as in the image: the Procfile and gunicorn.conf.py, no source."""
    directory = tmp_path / "backline"
    directory.mkdir()
    for name in ("Procfile", "gunicorn.conf.py"):
        shutil.copy(ROOT / name, directory / name)
    return directory


@pytest.fixture
def env(run_dir: Path, smtp: SmtpSink) -> dict[str, str]:
    """A production configuration on the smoke database and Redis, mail to the SMTP sink.

    BACKLINE_ENV is `test`, not `production`, for one reason: production fetches recordings over
    https only, and simulate-call serves them over http on 127.0.0.1.
    """
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BACKLINE_", "TWILIO_", "SMTP_", "STORAGE_", "MAIL_", "SMS_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "PORT", "PYTHONPATH", "VIRTUAL_ENV")
    }
    port = free_port()
    return {
        **inherited,
        "PATH": f"{Path(str(VENV)) / 'bin'}{os.pathsep}{inherited['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "BACKLINE_ENV": "test",
        "BACKLINE_LOG_FORMAT": "json",
        "BACKLINE_INSTANCE_PATH": str(run_dir / "instance"),
        "BACKLINE_SECRET_KEY": secrets.token_hex(32),
        "BACKLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": str(DATABASE_URL),
        "REDIS_URL": str(REDIS_URL),
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_API_URL": f"http://127.0.0.1:{free_port()}",  # simulate-call serves it
        "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",  # type: ignore[attr-defined]
        "MAIL_FROM": "Backline <voicemail@provider.example>",
        "ADMIN_EMAIL": "noc@provider.example",
    }


@pytest.fixture
def empty_stores() -> None:
    """A database that has never been migrated, and an empty Redis database."""
    parts = urlsplit(str(DATABASE_URL))
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    redis.Redis.from_url(str(REDIS_URL)).flushdb()


@pytest.fixture
def processes(
    env: dict[str, str], run_dir: Path, empty_stores: None
) -> Iterator[subprocess.Popen[bytes]]:
    """The Procfile's release, then `honcho start web worker periodic`, until the test ends."""
    release = subprocess.run(
        procfile()["release"], cwd=run_dir, env=env, capture_output=True, text=True, timeout=120
    )
    assert release.returncode == 0, release.stdout + release.stderr
    log = run_dir / "honcho.log"
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent))
    assert honcho, "honcho is missing from the development venv (make install)"
    with log.open("wb") as output:
        runner = subprocess.Popen(
            [honcho, "start", "--port", env["PORT"], "web", "worker", "periodic"],
            cwd=run_dir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stop() reaches honcho and every process it started
        )
    try:
        yield runner
    finally:
        stop(runner)
        print(log.read_text(errors="replace")[-6000:])  # shown when the test fails


def backline(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run the installed `backline` command; return what it printed."""
    result = subprocess.run(
        ["backline", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"backline {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def healthy(env: dict[str, str], cwd: Path) -> bool:
    """compose.yaml's health check for web (/healthz, then /readyz), run with the venv's python."""
    _, program, *arguments = compose()["services"]["web"]["healthcheck"]["test"]
    assert program == "python"
    check = subprocess.run(
        [str(Path(str(VENV)) / "bin" / "python"), *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=30,
    )
    return check.returncode == 0


def test_backline_runs_from_the_wheel_not_from_the_source(
    env: dict[str, str], run_dir: Path
) -> None:
    where = subprocess.run(
        ["python", "-c", "import app, gunicorn; print(app.__file__); print(gunicorn.__file__)"],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    site_packages = str(Path(str(VENV)).resolve())
    assert all(str(Path(path).resolve()).startswith(site_packages) for path in where), where
    dev_tools = subprocess.run(
        ["python", "-c", "import pytest"], cwd=run_dir, env=env, capture_output=True
    )
    assert dev_tools.returncode != 0  # no dev extras in the production install


def test_a_simulated_outage_call_through_the_procfiles_processes_is_emailed(
    env: dict[str, str], run_dir: Path, smtp: SmtpSink, processes: subprocess.Popen[bytes]
) -> None:
    smtp.clear()
    wait_until(lambda: healthy(env, run_dir), timeout=90, interval=0.5)
    backline(env, run_dir, "subscribers", "import", str(ROOT / "examples" / "subscribers.csv"))
    backline(
        env, run_dir, "outage", "start", "--message", "Our phones are down.", "--region", "us-west"
    )

    printed = backline(
        env, run_dir, "simulate-call", "--to", SUBSCRIBER, "--speak", str(SPOKEN_SECONDS)
    )

    assert "Our phones are down." in printed
    for mailbox in MAILBOXES:
        assert f"Voicemail emailed to {mailbox}: accepted" in printed
    voicemails = [m for m in smtp.messages if str(m["Subject"]).startswith("Voicemail")]
    assert sorted(str(m["To"]) for m in voicemails) == MAILBOXES
    for message in voicemails:
        assert mp3_duration(mp3_attachment(message)) == pytest.approx(SPOKEN_SECONDS, abs=0.15)
    wait_until(lambda: len(smtp.messages) >= 4, timeout=60)  # the worker sent the notices too
    assert processes.poll() is None, "a Procfile process stopped (honcho stops them all then)"
