"""The notice benchmark's rig: an SMTP sink, a fresh PostgreSQL database, Redis, rq workers.

Everything here is real and local: Postfix's `smtp-sink` accepts and discards mail, the database
is migrated with `backline db upgrade`, and the workers are `backline worker` processes, as in
production. Each piece is started by the benchmark and stopped by it, by process id.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Flask
from rq import Worker
from sqlalchemy import insert, text

from app import create_app
from app.core.extensions import db
from app.models import Base, Subscriber

from .sizes import smoke

ROOT = Path(__file__).resolve().parent.parent
BACKLINE = ROOT / ".venv" / "bin" / "backline"
# Overridable, so that a run on a shared machine can use a database and Redis of its own.
DATABASE = os.environ.get("BENCH_NOTICES_DATABASE", "bench_notices")
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_NOTICES_REDIS_URL", "redis://127.0.0.1:6379/12")
SMTP_SINK = ("smtp-sink", "/usr/sbin/smtp-sink")
SEED_CHUNK = 10_000
# Smoke runs without Postfix (CI) use aiosmtpd's sink: they check that the benchmark works.
PYTHON_SINK = "aiosmtpd"


@dataclass
class Rig:
    """What one benchmark run has started: the sink's port, the settings, the temp dir."""

    port: int
    settings: dict[str, str]
    workdir: Path


def find_smtp_sink() -> str | None:
    """Postfix's smtp-sink, if installed; for a smoke run, aiosmtpd's sink will do."""
    for name in SMTP_SINK:
        found = shutil.which(name) or (name if os.access(name, os.X_OK) else None)
        if found:
            return found
    return PYTHON_SINK if smoke() else None


def sink_command(sink: str, port: int) -> list[str]:
    """The command that runs this sink on 127.0.0.1:port."""
    if sink == PYTHON_SINK:
        return [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                "-l", f"127.0.0.1:{port}"]  # fmt: skip
    return [sink, *_as_user(), "-c", f"127.0.0.1:{port}", "1000"]  # 1000: listen backlog


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def settings_for(port: int, workdir: Path) -> dict[str, str]:
    """The environment of a production worker sending to the sink."""
    return {
        "BACKLINE_ENV": "production",
        "BACKLINE_SECRET_KEY": "bench-secret-key-not-for-production",
        "BACKLINE_PUBLIC_URL": "https://backline.example.net",
        "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
        "TWILIO_AUTH_TOKEN": "bench-auth-token",
        "MAIL_FROM": "Backline <notices@backline.example.net>",
        "ADMIN_EMAIL": "noc@backline.example.net",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SMTP_URL": f"smtp://127.0.0.1:{port}",
        "STORAGE_URL": (workdir / "storage").as_uri(),
        "BACKLINE_INSTANCE_PATH": str(workdir / "instance"),
        "BACKLINE_LOG_FORMAT": "json",
    }


@contextmanager
def rig(sink: str) -> Iterator[Rig]:
    """Start the sink and a freshly migrated database; stop and drop them afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        proc = subprocess.Popen(
            sink_command(sink, port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port)
            settings = settings_for(port, workdir)
            create_database(settings)
            yield Rig(port, settings, workdir)
        finally:
            _stop(proc)


def _as_user() -> list[str]:
    """smtp-sink refuses to run as root without a user to drop to."""
    return ["-u", "postfix"] if os.geteuid() == 0 else []


def create_database(settings: dict[str, str]) -> None:
    """Drop and recreate the benchmark database, then migrate it as an operator would."""
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    # --force: an app of an earlier benchmark in this process may still hold a connection
    subprocess.run(["dropdb", *pg, "--if-exists", "--force", DATABASE], check=True)
    subprocess.run(["createdb", *pg, DATABASE], check=True)
    env = {**os.environ, **settings, "FLASK_SKIP_DOTENV": "1"}
    subprocess.run(
        [str(BACKLINE), "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT
    )


def bench_app(settings: dict[str, str]) -> Flask:
    """The app the benchmark itself uses to seed, start the outage and read progress."""
    return create_app({**settings, "BACKLINE_LOG_FORMAT": "json"})


def reset(app: Flask) -> None:
    """Empty every table and the Redis database, so each size starts alike."""
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    redis.Redis.from_url(REDIS_URL).flushdb()


def seed(app: Flask, count: int) -> None:
    """Insert `count` subscribers, each with one email address and no backup mobile."""
    with app.app_context(), db.engine.begin() as conn:
        for start in range(0, count, SEED_CHUNK):
            rows = [_subscriber(i) for i in range(start, min(count, start + SEED_CHUNK))]
            conn.execute(insert(Subscriber), rows)
        conn.execute(text("ANALYZE"))


def address(i: int) -> str:
    """Subscriber i's email address (fixed width, so every message is the same size)."""
    return f"s{i:07d}@customers.example.com"


def _subscriber(i: int) -> dict[str, object]:
    return {
        "number": f"+1555{i:07d}",
        "name": f"Subscriber {i}",
        "emails": [address(i)],
        "region": "north",
        "plan": "home",
        "timezone": "Europe/London",
        "language": "en",
    }


@contextmanager
def workers(settings: dict[str, str], count: int, logs: Path) -> Iterator[list[int]]:
    """Run `count` `backline worker` processes; yield their pids once all are registered."""
    env = {**os.environ, **settings, "FLASK_SKIP_DOTENV": "1"}
    procs = []
    try:
        for n in range(count):
            with open(logs / f"worker-{n}.err", "ab") as err:
                procs.append(
                    subprocess.Popen(
                        [str(BACKLINE), "worker"],
                        env=env,
                        cwd=ROOT,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                        start_new_session=True,
                    )
                )
        _wait_registered(count)
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            _stop(proc)


def _wait_registered(count: int, timeout: float = 30.0) -> None:
    connection = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(Worker.all(connection=connection)) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{count} rq workers did not register within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, with its process group (rq may fork a horse)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
