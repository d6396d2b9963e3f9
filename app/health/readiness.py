"""What /readyz reports about the services behind Backline: the database, Redis, storage, mail.

Each check returns a short sentence or raises; `app.probes` runs them under one deadline. None of
them decides readiness (see `app.health`). /readyz is public, so a failure is reported by its
exception type only; the logs carry the whole error (hosts, buckets and paths stay out of it).
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from flask import Flask
from redis import Redis
from sqlalchemy import Engine, text

from app.core.aws import quick_client
from app.core.mail import Mailer, MailError
from app.core.storage import Storage
from forwarding.mailer import MaildirMailer, SmtpMailer
from forwarding.ses import SesMailer

PROBE_TIMEOUT_S = 1.0  # for the checks that open their own connection (SMTP)


def dependency_checks(app: Flask) -> dict[str, Callable[[], str]]:
    """The checks of this app's database, Redis, storage and mail provider(s), by name."""
    checks: dict[str, Callable[[], str]] = {
        "database": partial(check_database, app.extensions["backline.db.calls"]),
        "redis": partial(check_redis, app.extensions.get("backline.redis")),
        "storage": partial(check_storage, app.extensions["backline.storage"]),
        "mail": partial(check_mail, app.extensions["backline.mailer"]),
    }
    fallback: Mailer | None = app.extensions.get("backline.mail_fallback")
    if fallback is not None:
        checks["mail_fallback"] = partial(check_mail, fallback)
    return checks


def check_database(engine: Engine) -> str:
    """One `SELECT 1` on the call path's engine (2 s to connect, 500 ms per statement)."""
    started = time.monotonic()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return f"{engine.dialect.name} answered in {_ms_since(started)} ms"


def check_redis(client: Redis | None) -> str:
    """PING, when Redis is configured."""
    if client is None:
        return "not configured: jobs run in this process and nothing is shared"
    started = time.monotonic()
    client.ping()
    return f"answered in {_ms_since(started)} ms"


def check_storage(storage: Storage) -> str:
    """Write and delete a small object: the call path writes there when the database is down."""
    key = f"health/{socket.gethostname()}-{os.getpid()}"
    started = time.monotonic()
    storage.put(key, b"ok", "text/plain")
    storage.delete(key)
    return f"wrote and deleted a probe object in {_ms_since(started)} ms"


def check_mail(mailer: Mailer) -> str:
    """Whether the mail provider would take a message now (nothing is sent)."""
    if isinstance(mailer, SmtpMailer):
        return _check_smtp(mailer)
    if isinstance(mailer, MaildirMailer):
        return _check_maildir(mailer.path)
    if isinstance(mailer, SesMailer):
        return _check_ses(mailer.region)
    return f"{mailer.name}: not checked"


def _check_smtp(mailer: SmtpMailer) -> str:
    started = time.monotonic()
    client: smtplib.SMTP
    if mailer.implicit_tls:
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(
            mailer.host, mailer.port, timeout=PROBE_TIMEOUT_S, context=context
        )
    else:
        client = smtplib.SMTP(mailer.host, mailer.port, timeout=PROBE_TIMEOUT_S)
    try:
        code, _ = client.noop()
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        client.close()
    if code != 250:
        raise MailError(f"the relay answered NOOP with {code}")
    return f"{mailer.name} relay answered in {_ms_since(started)} ms"


def _check_maildir(path: Path) -> str:
    mailbox.Maildir(path, create=True)  # makes the folders when they are missing
    if not os.access(path / "tmp", os.W_OK):
        raise PermissionError(f"cannot write to {path / 'tmp'}")
    return "the Maildir outbox is writable"


def _check_ses(region: str) -> str:
    started = time.monotonic()
    quick_client("ses", region).get_send_quota()
    return f"SES {region} answered in {_ms_since(started)} ms"


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
