"""Admin accounts for the web UI, and the failed-login counters that slow guessing down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Bumped by a password change and by logging out: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(default=1)


class LoginThrottle(Base):
    """Failed logins per key: "account:EMAIL|ip:ADDRESS" for one address's tries on one account
    (each failure lengthens that address's next wait), "account:EMAIL" for all of them.

    Never a hard lockout: an attacker must not be able to lock the NOC out during an outage.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
