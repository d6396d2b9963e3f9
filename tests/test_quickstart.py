"""The README's quick start, run as a new user would: real processes, embedded defaults."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from app.core.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN
from app.twilio.simulator.signed_client import SignedClient
from tests.helpers import free_port, mp3_attachment, mp3_duration, parse_email, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A newcomer's environment: development, nothing configured, no database or Redis URL."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BACKLINE_", "TWILIO_", "SMTP_", "STORAGE_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "PORT")
    }
    return {
        **clean,
        "BACKLINE_ENV": "development",
        "TWILIO_API_URL": f"http://127.0.0.1:{free_port()}",
    }


def backline(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"backline {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    backline(env, tmp_path, "db", "upgrade")
    with serve(env, tmp_path) as url:
        yield url


@contextmanager
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """Run `backline serve` until the test is done; yield its URL once it answers."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).ok
    except (requests.ConnectionError, requests.Timeout):  # not listening, or still starting up
        return False


def test_the_quick_start_leaves_an_email_with_a_playable_mp3(
    env: dict[str, str], tmp_path: Path, served: str
) -> None:
    env = {**env, "BACKLINE_PUBLIC_URL": served}
    imported = backline(
        env, tmp_path, "subscribers", "import", str(ROOT / "examples" / "subscribers.csv")
    )
    assert "3 new" in imported.stdout
    started = backline(
        env,
        tmp_path,
        "outage",
        "start",
        "--message",
        "Our phone service has a temporary problem.",
        "--region",
        "us-west",
    )
    assert started.stdout.splitlines()[0].isdigit()

    call = backline(env, tmp_path, "simulate-call", "--to", "+14155550100", "--speak", "4")

    assert "Our phone service has a temporary problem." in call.stdout
    assert "Voicemail emailed to office@acme.example: accepted" in call.stdout
    outbox = mailbox.Maildir(tmp_path / "instance" / "outbox", create=False)
    messages = [parse_email(outbox.get_bytes(key)) for key in outbox.iterkeys()]
    notices = [m for m in messages if m["List-Unsubscribe"]]
    voicemails = [m for m in messages if m["Subject"].startswith("Voicemail")]
    assert sorted(str(m["To"]) for m in notices) == ["office@acme.example", "owner@acme.example"]
    assert sorted(str(m["To"]) for m in voicemails) == ["office@acme.example", "owner@acme.example"]
    sms = (tmp_path / "instance" / "sms-outbox.txt").read_text(encoding="utf-8")
    assert "Phone service disruption" in sms
    for message in voicemails:
        assert abs(mp3_duration(mp3_attachment(message)) - 4.0) < 0.15


def test_simulate_call_says_clearly_when_backline_is_not_running(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "BACKLINE_PUBLIC_URL": f"http://127.0.0.1:{free_port()}"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "simulate-call", "--to", "+14155550100"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Backline is not answering" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_starts_and_answers_the_fallback_with_the_database_down(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "DATABASE_URL": f"postgresql://backline@127.0.0.1:{free_port()}/backline"}
    with serve(env, tmp_path) as url:
        params = {
            "CallSid": "CA" + "c3" * 16,
            "AccountSid": DEV_ACCOUNT_SID,
            "From": "+12125550142",
            "To": "+14155550100",
        }
        answer = SignedClient(DEV_AUTH_TOKEN).post(f"{url}/ivr/fallback", params)
        assert answer.status_code == 200
        root = ET.fromstring(answer.content)
        assert [verb.tag for verb in root] == ["Say", "Say", "Gather", "Redirect"]
    printed = (tmp_path / "serve.log").read_text()
    assert f"Fallback URL: {url}/ivr/fallback\n" in printed  # numbers': Backline's own failure
    assert f"Disaster Recovery URL: {url}/ivr/fallback?source=trunk\n" in printed
