"""Extensions created without an app and bound in `create_app`; nothing connects at import."""

from __future__ import annotations

from flask import current_app
from flask_wtf import CSRFProtect
from redis import Redis

from app.core.database import Database
from app.core.jobs import JobQueue
from app.core.mail import Mailer
from app.core.storage import Storage

db = Database()
jobs = JobQueue()
csrf = CSRFProtect()  # checked on the admin blueprint's unsafe requests only


def redis_client() -> Redis | None:
    """The shared Redis client (short timeouts), or None on the embedded defaults."""
    client: Redis | None = current_app.extensions.get("backline.redis")
    return client


def storage() -> Storage:
    """The current app's storage backend (local files or S3)."""
    backend: Storage = current_app.extensions["backline.storage"]
    return backend


def mailer() -> Mailer:
    """The current app's mail backend (Maildir or SMTP)."""
    backend: Mailer = current_app.extensions["backline.mailer"]
    return backend
