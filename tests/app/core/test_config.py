"""Configuration: production refuses to start without its secrets, nothing connects at start-up,
and the embedded defaults need nothing installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.core.config import (
    DEV_ACCOUNT_SID,
    DEV_AUTH_TOKEN,
    REQUIRED_IN_PRODUCTION,
    ConfigError,
    uses_development_twilio,
)
from app.core.database import normalise_database_url
from app.core.extensions import db
from forwarding.mailer import MaildirMailer
from tests.helpers import free_port
from tests.support.app_state import dispose_engines
from voicemail.storage import LocalStorage

SECRETS = {
    "BACKLINE_SECRET_KEY": "a-real-secret-key",
    "BACKLINE_PUBLIC_URL": "https://backline.example.test",
    "TWILIO_ACCOUNT_SID": "AC" + "b2" * 16,
    "TWILIO_AUTH_TOKEN": "a-real-auth-token",
    "MAIL_FROM": "Backline <voicemail@provider.example>",
    "ADMIN_EMAIL": "noc@provider.example",
}
# Everything in the environment that could configure Backline, Twilio or its services.
OUR_PREFIXES = ("BACKLINE_", "TWILIO_", "SMTP_", "MAIL_", "SMS_", "PRIMARY_", "STORAGE_")
OUR_NAMES = ("DATABASE_URL", "REDIS_URL", "ADMIN_EMAIL")


def _is_ours(name: str) -> bool:
    return name.startswith(OUR_PREFIXES) or name in OUR_NAMES


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Backline settings in the environment; the working directory is an empty tmp dir."""
    for name in list(os.environ):
        if _is_ours(name):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def production(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    return {
        "BACKLINE_ENV": "production",
        "BACKLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        **SECRETS,
        **changes,
    }


def test_the_production_secrets_are_the_ones_tested() -> None:
    assert set(REQUIRED_IN_PRODUCTION) == set(SECRETS)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_without_a_secret_is_an_error_naming_it(clean_env: Path, missing: str) -> None:
    with pytest.raises(ConfigError) as error:
        create_app(production(clean_env, **{missing: None}))

    message = str(error.value)
    assert missing in message
    assert [name for name in SECRETS if name in message] == [missing]


def test_production_names_every_missing_secret(clean_env: Path) -> None:
    with pytest.raises(ConfigError) as error:
        create_app({"BACKLINE_ENV": "production"})

    for name in SECRETS:
        assert name in str(error.value)


def test_an_empty_variable_counts_as_missing(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BACKLINE_INSTANCE_PATH", str(clean_env / "instance"))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")

    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app()


def test_production_is_the_default_and_reads_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BACKLINE_INSTANCE_PATH", str(clean_env / "instance"))

    app = create_app()

    assert app.config["BACKLINE_ENV"] == "production"
    for name, value in SECRETS.items():
        assert app.config[name] == value
    assert app.config["SECRET_KEY"] == SECRETS["BACKLINE_SECRET_KEY"]
    assert not uses_development_twilio(app.config)
    assert app.test_client().get("/healthz").status_code == 200


def test_production_with_every_secret_builds(clean_env: Path) -> None:
    app = create_app(production(clean_env))

    assert app.config["BACKLINE_ENV"] == "production"
    assert app.config["TWILIO_AUTH_TOKEN"] == SECRETS["TWILIO_AUTH_TOKEN"]
    assert app.config["TWILIO_API_URL"] == "https://api.twilio.com"


@pytest.mark.parametrize("source", ["argument", "environment"])
def test_an_unknown_environment_is_an_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    config = production(clean_env)
    if source == "argument":
        config["BACKLINE_ENV"] = "staging"
    else:
        del config["BACKLINE_ENV"]
        monkeypatch.setenv("BACKLINE_ENV", "staging")

    with pytest.raises(ConfigError) as error:
        create_app(config)

    assert "staging" in str(error.value)
    assert "BACKLINE_ENV" in str(error.value)


def test_a_setting_that_must_be_a_number_is_checked(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="BACKLINE_DIAL_TIMEOUT"):
        create_app(production(clean_env, BACKLINE_DIAL_TIMEOUT="twenty"))


@pytest.mark.parametrize("env", [{"BACKLINE_ENV": "production"}, {}], ids=["explicit", "default"])
def test_the_cli_in_production_without_secrets_says_so_without_a_traceback(
    tmp_path: Path, env: dict[str, str]
) -> None:
    clean = {name: value for name, value in os.environ.items() if not _is_ours(name)}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "outage", "list"],
        env={**clean, **env, "FLASK_SKIP_DOTENV": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Backline cannot start in production without" in result.stderr
    for name in SECRETS:
        assert name in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "instance").exists()


def test_start_up_and_healthz_never_touch_the_database_or_redis(clean_env: Path) -> None:
    refused = free_port()
    app = create_app(
        {
            "BACKLINE_ENV": "test",
            "BACKLINE_INSTANCE_PATH": str(clean_env / "instance"),
            "DATABASE_URL": f"postgresql://backline@127.0.0.1:{refused}/x",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert app.extensions["backline.db"].url.drivername == "postgresql+psycopg"
    # The database really is unreachable: the first query is what connects, and fails.
    with app.app_context(), pytest.raises(OperationalError):
        db.session.execute(text("SELECT 1"))
    dispose_engines(app)  # and its breaker's probes of that port


@pytest.mark.parametrize("env", ["development", "test"])
def test_the_embedded_defaults(clean_env: Path, env: str) -> None:
    instance = clean_env / "instance"  # ./instance/ under the working directory

    app = create_app({"BACKLINE_ENV": env})

    assert Path(app.instance_path) == instance
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'backline.db'}"
    assert app.config["STORAGE_URL"] == (instance / "voicemail").as_uri()
    storage = app.extensions["backline.storage"]
    assert isinstance(storage, LocalStorage)
    assert storage.root == instance / "voicemail"
    assert app.config["BACKLINE_OUTBOX"] == str(instance / "outbox")
    mailer = app.extensions["backline.mailer"]
    assert isinstance(mailer, MaildirMailer)
    assert mailer.path == instance / "outbox"
    assert app.config["REDIS_URL"] is None
    # No Twilio account needed: the local development secret signs and checks webhooks.
    assert app.config["TWILIO_AUTH_TOKEN"] == DEV_AUTH_TOKEN
    assert app.config["TWILIO_ACCOUNT_SID"] == DEV_ACCOUNT_SID
    assert uses_development_twilio(app.config)
    assert app.config["SECRET_KEY"]
    # Nothing was created at start-up; the first query creates the database in WAL mode.
    assert not (instance / "backline.db").exists()
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert int(db.session.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 1000
    assert (instance / "backline.db").exists()
    app.extensions["backline.db"].dispose()


def test_a_configured_twilio_token_is_kept_in_development(clean_env: Path) -> None:
    app = create_app({"BACKLINE_ENV": "development", "TWILIO_AUTH_TOKEN": "mine"})

    assert app.config["TWILIO_AUTH_TOKEN"] == "mine"
    assert not uses_development_twilio(app.config)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.example:5432/backline",
            "postgresql+psycopg://u:p@db.example:5432/backline",
        ),
        ("postgresql://u@127.0.0.1/x", "postgresql+psycopg://u@127.0.0.1/x"),
        ("postgresql+psycopg://u@h/x", "postgresql+psycopg://u@h/x"),
        ("sqlite:////tmp/backline.db", "sqlite:////tmp/backline.db"),
    ],
)
def test_normalise_database_url(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
