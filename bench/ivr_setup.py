"""The Backline side of the `/ivr/voice` benchmark: settings, a fresh database, one outage.

Everything lives in dedicated places (the `bench_ivr` PostgreSQL database, Redis db 11 and a
temporary directory), created anew on every run so runs compare.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import redis

from .gunicorn_runner import ROOT

PG = ("-h", "127.0.0.1", "-U", "postgres")
DATABASE = "bench_ivr"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/11"
BACKLINE = ROOT / ".venv" / "bin" / "backline"
SUBSCRIBER = "+14155550100"
CALLER = "+12125550123"
OUTAGE_MESSAGE = "Our phone platform is down; engineers are restoring it."


def backline_env(workdir: Path, port: int, processes: dict[str, str]) -> dict[str, str]:
    """Production settings with every required secret, JSON logs, and no .env read;
    `processes` sets gunicorn's WEB_CONCURRENCY and GUNICORN_THREADS."""
    return {
        **os.environ,
        **processes,
        "FLASK_SKIP_DOTENV": "1",
        "BACKLINE_ENV": "production",
        "BACKLINE_INSTANCE_PATH": str(workdir / "instance"),
        "BACKLINE_SECRET_KEY": secrets.token_hex(32),
        "BACKLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BACKLINE_LOG_FORMAT": "json",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "MAIL_FROM": "Backline <voicemail@bench.invalid>",
        "ADMIN_EMAIL": "noc@bench.invalid",
        "STORAGE_URL": (workdir / "storage").as_uri(),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
    }


def prepare_backline(env: dict[str, str], workdir: Path) -> None:
    """A freshly migrated database with one subscriber under an active admin outage."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", DATABASE], check=True)
    subprocess.run(["createdb", *PG, DATABASE], check=True)
    backline(env, "db", "upgrade")
    csv = workdir / "subscribers.csv"
    csv.write_text(f"number,name,email\n{SUBSCRIBER},Bench Subscriber,bench@bench.invalid\n")
    backline(env, "subscribers", "import", str(csv))
    backline(env, "outage", "start", "--message", OUTAGE_MESSAGE, "--all")


def backline(env: dict[str, str], *args: str) -> None:
    """Run a `backline` command quietly; its output is shown only if it fails."""
    result = subprocess.run([str(BACKLINE), *args], env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"backline {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def call_rows(linked: bool = True) -> int:
    """How many call rows the benchmark database holds: Backline's (linked to the outage), or
    the same-work baseline's (no links)."""
    condition = "IS NOT NULL" if linked else "IS NULL"
    query = f"SELECT count(*) FROM calls WHERE outcome = 'ivr' AND outage_id {condition}"
    result = subprocess.run(
        ["psql", *PG, "-d", DATABASE, "-tAc", query], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip())
