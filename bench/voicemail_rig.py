"""The pieces the voicemail benchmark runs against: PostgreSQL, Redis, a real `backline worker`,
a timed SMTP sink and the local Twilio media stand-in, all on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from app.core import migrate
from app.core.database import build_engine, normalise_database_url
from app.core.jobs import redis_connection
from app.models import Base
from app.twilio.simulator.media_server import MediaServer, MediaState
from tests.helpers import free_port
from tests.support.smtp import SmtpSink

ACCOUNT_SID = "AC" + "b3" * 16
AUTH_TOKEN = "bench-auth-token"
PUBLIC_URL = "https://backline.bench.test"
DATABASE_URL = os.environ.get(
    "BENCH_VOICEMAIL_DATABASE_URL", "postgresql://localhost/bench_voicemail"
)
REDIS_URL = os.environ.get("BENCH_VOICEMAIL_REDIS_URL", "redis://localhost:6379/10")


class TimedSink(SmtpSink):
    """The tests' SMTP sink, also noting when (wall clock) each message was accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: list[float] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        with self.arrived:
            self.accepted_at.append(time.time())
            self.arrived.notify_all()
        return answer

    def wait_for_count(self, count: int, timeout: float = 120.0) -> float:
        """Wait until `count` messages were accepted; return when the last one was."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.accepted_at) >= count, timeout):
                raise TimeoutError(f"no email {count} within {timeout:g} s; see worker.log")
            return self.accepted_at[count - 1]


@contextmanager
def smtp_sink() -> Iterator[tuple[TimedSink, int]]:
    sink = TimedSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@contextmanager
def media_server() -> Iterator[MediaServer]:
    with MediaServer(MediaState(ACCOUNT_SID, AUTH_TOKEN)) as server:
        yield server


def settings(instance: Path, smtp_port: int, media: MediaServer) -> dict[str, Any]:
    """Backline's configuration for the benchmark (the web app here and the worker alike)."""
    return {
        "BACKLINE_ENV": "test",
        "BACKLINE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "BACKLINE_SECRET_KEY": "bench-secret-key",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": media.url,
        "BACKLINE_RECORDING_HOSTS": f"127.0.0.1:{media.port}",
        "BACKLINE_PUBLIC_URL": PUBLIC_URL,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MAIL_FROM": "Backline <voicemail@provider.example>",
        "ADMIN_EMAIL": "noc@provider.example",
        "BACKLINE_DEFAULT_TIMEZONE": "UTC",
        "BACKLINE_TRANSCRIBE": "false",  # a transcript is Twilio's time, not Backline's
        "BACKLINE_DETECTOR_FAILURES": 0,
    }


def reset_stores(url: str = DATABASE_URL, redis_url: str = REDIS_URL) -> None:
    """Migrate the benchmark's database from scratch and empty its Redis database."""
    ensure_database(url)
    engine = build_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    migrate.upgrade(url)
    redis_connection(redis_url).flushdb()


def ensure_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if this server does not have it yet."""
    target = make_url(normalise_database_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            known = "SELECT 1 FROM pg_database WHERE datname = :name"
            if connection.scalar(text(known), {"name": target.database}) is None:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


@contextmanager
def backline_worker(config: dict[str, Any], log: Path) -> Iterator[int]:
    """A real `backline worker` subprocess in its own process group; yields its pid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLINE_", "TWILIO_"))}
    env.update({k: str(v) for k, v in config.items()})
    env["FLASK_SKIP_DOTENV"] = "1"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(1.0)
            if worker.poll() is not None:
                raise RuntimeError(f"backline worker exited: {log.read_text()[-2000:]}")
            yield worker.pid
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)


def rss_kib(pid: int, field: str) -> int:
    """A memory figure of a process from /proc (VmRSS now, VmHWM its peak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def signed_headers(path: str, params: dict[str, str]) -> dict[str, str]:
    """The X-Twilio-Signature Twilio would send for this form POST to our public URL."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    return {"X-Twilio-Signature": signature}


def recording_callback(call_sid: str, recording_sid: str, seconds: int) -> dict[str, str]:
    """Twilio's `completed` recording status callback for a <Record> on `call_sid`."""
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "RecordingStatus": "completed",
        "RecordingDuration": str(seconds),
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep this process's INFO lines (the app's, aiosmtpd's) out of the benchmark's output."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.setLevel(level)
