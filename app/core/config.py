"""Settings from the environment, in one place.

Every setting is named as its environment variable, so a test passes the same names in a plain
dict. `load_settings()` fills in the embedded defaults; `check_settings()` refuses to start a
production service that is missing a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")

# What a development machine uses when no Twilio credentials are configured: `simulate-call`
# plays Twilio's part with these, so the quick start needs no account.
DEV_ACCOUNT_SID = "AC" + "0" * 32
DEV_AUTH_TOKEN = "backline-local-development-secret"
DEV_SECRET_KEY = "backline-local-development-key"
SIMULATOR_API_URL = "http://127.0.0.1:5001"

REQUIRED_IN_PRODUCTION = (
    "BACKLINE_SECRET_KEY",
    "BACKLINE_PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "MAIL_FROM",  # relays refuse mail from the placeholder address
    "ADMIN_EMAIL",  # voicemails for unknown numbers go there: no caller is dropped
)
DEFAULT_MAIL_FROM = "Backline <voicemail@backline.invalid>"

DEFAULTS: dict[str, Any] = {
    "BACKLINE_ENV": "production",
    "BACKLINE_INSTANCE_PATH": "instance",
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "BACKLINE_SECRET_KEY": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_API_URL": "https://api.twilio.com",
    "TWILIO_WEBHOOK_SHARED_KEY": None,  # a Webhook Rule's SharedKey secret, if one signs ours
    "BACKLINE_PUBLIC_URL": None,
    "SMTP_URL": None,
    "MAIL_FROM": None,
    "MAIL_FALLBACK_URL": None,  # ses://REGION or smtp://…: used after repeated SMTP failure
    "BACKLINE_MAIL_FALLBACK_AFTER": 3,  # failed attempts on the primary before the fallback
    "BACKLINE_MAX_DELIVERY_ATTEMPTS": 12,  # notice emails only: then failed; voicemails never
    # Different recipients a provider refuses with a 5xx within the window, nothing accepted in
    # between, that show it is refusing everyone (its problem: they are retried, admins alerted).
    "BACKLINE_MAIL_PROVIDER_REFUSALS": 5,
    "BACKLINE_MAIL_PROVIDER_WINDOW_SECONDS": 900,
    "BACKLINE_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,  # larger MP3s get a listen link only
    "BACKLINE_SES_TOPIC_ARNS": None,  # comma-separated; SES events from other topics get 403
    "BACKLINE_SNS_URL_PATTERN": None,  # tests only: ignored in production (AWS hosts only)
    "BACKLINE_OUTBOX": None,
    "ADMIN_EMAIL": None,
    "STORAGE_URL": None,
    "PRIMARY_SIP_DOMAIN": None,
    "PRIMARY_FORWARD_URL": None,
    "BACKLINE_RECORDING_HOSTS": "api.twilio.com",
    "BACKLINE_RECORDING_MAX_BYTES": 40 * 1024 * 1024,
    "BACKLINE_DEFAULT_TIMEZONE": "UTC",
    "BACKLINE_DEFAULT_LANGUAGE": "en",
    "BACKLINE_RECORD_MAX_LENGTH": 180,  # seconds
    "BACKLINE_RECORD_SILENCE_TIMEOUT": 5,  # seconds of silence that end a recording
    "BACKLINE_RECORD_FINISH_ON_KEY": "#",
    "BACKLINE_RECORD_BEEP": "true",
    # Twilio <Say> voices, one per caller language; each must be documented for its language
    "BACKLINE_VOICE_EN": "Polly.Joanna",  # en-US
    "BACKLINE_VOICE_ES": "Polly.Lucia",  # es-ES
    "BACKLINE_VOICE_FR": "Polly.Lea",  # fr-FR
    "BACKLINE_MIN_RECORDING_SECONDS": 0,  # shorter ones are kept but not emailed; 0 is off
    "BACKLINE_LISTEN_LINK_DAYS": 30,  # how long a voicemail email's listen link works
    "BACKLINE_DIAL_TIMEOUT": 20,  # seconds the primary (or a backup number) may ring
    "BACKLINE_MENU_TIMEOUT": 5,  # seconds the outage menu waits for a key
    "BACKLINE_SWEEP_AFTER_SECONDS": 120,  # work untouched this long is queued again
    "BACKLINE_TRANSCRIBE": "false",  # ask Twilio for transcripts where it can make them
    "BACKLINE_TRANSCRIPTION_WAIT_SECONDS": 120,  # how long an email waits for its transcript
    "BACKLINE_DELETE_FROM_TWILIO": "false",  # delete recordings at Twilio once stored here
    "BACKLINE_RETENTION_DAYS": 90,  # `backline purge` erases voicemails older than this
    "BACKLINE_SCHEDULER_LOCK_SECONDS": 30,  # a dead worker's hold on the periodic jobs lapses
    "BACKLINE_FALLBACK_URL": None,  # the Fallback URL `twilio configure` sets; default ours
    "BACKLINE_CONNECT_OVERRIDES": "ct=1000&rt=2000",  # Twilio fails over to the Fallback URL in ~3 s
    "BACKLINE_FALLBACK_ALERT_MINUTES": 15,  # one admin alert per fallback error code this often
    "BACKLINE_LOG_FORMAT": None,
    "PRIMARY_HEALTH_URL": None,  # the detector probes it; unset, only failed calls count
    "BACKLINE_DETECTOR_OPEN_AFTER": 3,  # probes in a row that must fail before an outage opens
    "BACKLINE_DETECTOR_FAILURES": 5,  # failed calls within the window that open one (0: off)
    "BACKLINE_DETECTOR_WINDOW_SECONDS": 120,
    "BACKLINE_DETECTOR_CLOSE_AFTER": 5,  # healthy checks in a row before it moves to monitoring
    "BACKLINE_DETECTOR_PROBE_TIMEOUT_SECONDS": 3,
    "BACKLINE_REMINDER_AFTER_MINUTES": 30,  # an active outage this long without update reminds
    "BACKLINE_AUTO_NOTIFY_AFTER": 5,  # minutes an automatic outage fires before notices go out
    "BACKLINE_PROVIDER_NAME": None,  # who notices are from: "Acme Voice" (subject and body)
    "BACKLINE_STATUS_LINK_DAYS": 30,  # how long the status page link in a notice works
    "BACKLINE_NOTICE_RANGE": 10000,  # subscriber ids per fan-out job (any worker takes one)
    "BACKLINE_NOTICE_CHUNK": 1000,  # subscribers fanned out per committed chunk
    "BACKLINE_NOTICE_BATCH": 500,  # notice emails one job sends over one SMTP connection
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "SMS_FROM": None,
    "SMS_FALLBACK_URL": None,  # sns://REGION: the second SMS provider
    "BACKLINE_SMS_RATE": 1,
    "BACKLINE_SMS_OUTBOX": None,  # development without Twilio: SMS written to this text file  # SMS a second the sender may send (a long code: 1; short code: 100)
    "BACKLINE_RATE_LIMIT_LOGIN": "30/minute",  # admin login attempts per client address
    "BACKLINE_RATE_LIMIT_API": "1200/minute",  # API requests per token (per address without)
    "BACKLINE_TRUSTED_PROXIES": 0,  # proxies in front that append to X-Forwarded-For
    "BACKLINE_READY_TIMEOUT_MS": 1500,  # /readyz waits this long for all dependency checks
}

INTEGER_SETTINGS = (
    "BACKLINE_MAIL_FALLBACK_AFTER",
    "BACKLINE_MAX_DELIVERY_ATTEMPTS",
    "BACKLINE_MAIL_PROVIDER_REFUSALS",
    "BACKLINE_MAIL_PROVIDER_WINDOW_SECONDS",
    "BACKLINE_ATTACHMENT_MAX_BYTES",
    "BACKLINE_RECORDING_MAX_BYTES",
    "BACKLINE_RECORD_MAX_LENGTH",
    "BACKLINE_RECORD_SILENCE_TIMEOUT",
    "BACKLINE_MIN_RECORDING_SECONDS",
    "BACKLINE_LISTEN_LINK_DAYS",
    "BACKLINE_DIAL_TIMEOUT",
    "BACKLINE_MENU_TIMEOUT",
    "BACKLINE_SWEEP_AFTER_SECONDS",
    "BACKLINE_TRANSCRIPTION_WAIT_SECONDS",
    "BACKLINE_RETENTION_DAYS",
    "BACKLINE_SCHEDULER_LOCK_SECONDS",
    "BACKLINE_FALLBACK_ALERT_MINUTES",
    "BACKLINE_DETECTOR_OPEN_AFTER",
    "BACKLINE_DETECTOR_FAILURES",
    "BACKLINE_DETECTOR_WINDOW_SECONDS",
    "BACKLINE_DETECTOR_CLOSE_AFTER",
    "BACKLINE_DETECTOR_PROBE_TIMEOUT_SECONDS",
    "BACKLINE_REMINDER_AFTER_MINUTES",
    "BACKLINE_AUTO_NOTIFY_AFTER",
    "BACKLINE_STATUS_LINK_DAYS",
    "BACKLINE_NOTICE_RANGE",
    "BACKLINE_NOTICE_CHUNK",
    "BACKLINE_NOTICE_BATCH",
    "BACKLINE_SMS_RATE",
    "BACKLINE_TRUSTED_PROXIES",
    "BACKLINE_READY_TIMEOUT_MS",
)
BOOLEAN_SETTINGS = ("BACKLINE_RECORD_BEEP", "BACKLINE_TRANSCRIBE", "BACKLINE_DELETE_FROM_TWILIO")


class ConfigError(RuntimeError):
    """The service cannot start with this configuration; the message says why."""


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return every setting: overrides, else the environment, else the embedded defaults."""
    settings = {name: os.environ.get(name) or default for name, default in DEFAULTS.items()}
    settings.update(overrides or {})
    for name in INTEGER_SETTINGS:
        settings[name] = _as_int(name, settings[name])
    for name in BOOLEAN_SETTINGS:
        settings[name] = _as_bool(name, settings[name])
    if settings["BACKLINE_ENV"] not in ENVIRONMENTS:
        raise ConfigError(
            f"BACKLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {settings['BACKLINE_ENV']!r}."
        )
    _check_retention(settings)
    _fill_embedded_defaults(settings)
    return settings


def check_settings(settings: Mapping[str, Any]) -> None:
    """Raise ConfigError naming every secret a production service is missing."""
    if settings["BACKLINE_ENV"] != "production":
        return
    missing = [name for name in REQUIRED_IN_PRODUCTION if not settings.get(name)]
    if missing:
        raise ConfigError(
            "Backline cannot start in production without "
            + ", ".join(missing)
            + ". Set them in the environment (or BACKLINE_ENV=development to try it locally)."
        )


def uses_development_twilio(settings: Mapping[str, Any]) -> bool:
    """Whether Twilio requests are signed with the local development secret."""
    return settings["TWILIO_AUTH_TOKEN"] == DEV_AUTH_TOKEN


def _fill_embedded_defaults(settings: dict[str, Any]) -> None:
    instance = Path(settings["BACKLINE_INSTANCE_PATH"]).resolve()
    settings["BACKLINE_INSTANCE_PATH"] = str(instance)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'backline.db'}"
    if not settings["STORAGE_URL"]:
        settings["STORAGE_URL"] = (instance / "voicemail").as_uri()
    settings["BACKLINE_OUTBOX"] = settings["BACKLINE_OUTBOX"] or str(instance / "outbox")
    settings["BACKLINE_SMS_OUTBOX"] = settings["BACKLINE_SMS_OUTBOX"] or str(
        instance / "sms-outbox.txt"
    )
    if settings["BACKLINE_ENV"] == "production":
        return
    settings["MAIL_FROM"] = settings["MAIL_FROM"] or DEFAULT_MAIL_FROM
    if not settings["TWILIO_AUTH_TOKEN"]:
        settings["TWILIO_AUTH_TOKEN"] = DEV_AUTH_TOKEN
        settings["TWILIO_ACCOUNT_SID"] = settings["TWILIO_ACCOUNT_SID"] or DEV_ACCOUNT_SID
        if settings["TWILIO_API_URL"] == DEFAULTS["TWILIO_API_URL"]:
            settings["TWILIO_API_URL"] = SIMULATOR_API_URL
    settings["BACKLINE_SECRET_KEY"] = settings["BACKLINE_SECRET_KEY"] or DEV_SECRET_KEY
    settings["BACKLINE_PUBLIC_URL"] = settings["BACKLINE_PUBLIC_URL"] or "http://127.0.0.1:5000"


MAX_RETENTION_DAYS = 36500  # a century; far more could not even be subtracted from today


def _check_retention(settings: Mapping[str, Any]) -> None:
    days = settings["BACKLINE_RETENTION_DAYS"]
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"BACKLINE_RETENTION_DAYS must be a number of days from 1 to {MAX_RETENTION_DAYS}, "
            f"not {days}."
        )


def _as_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")
