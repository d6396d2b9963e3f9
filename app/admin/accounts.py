"""Creating admin accounts, changing their passwords, and clearing their login delays."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin import passwords, throttle
from app.models import AdminUser

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """An account that cannot be made or changed; the message says why."""


def find_admin(session: Session, email: str) -> AdminUser | None:
    return session.scalars(
        select(AdminUser).where(AdminUser.email == email.strip().lower())
    ).first()


def set_admin(session: Session, email: str, password: str) -> tuple[AdminUser, bool]:
    """Create the admin, or set a new password for an existing one; True when created.

    A new password logs out the account's existing sessions.
    """
    address = email.strip().lower()
    if not EMAIL.match(address) or len(address) > 320:
        raise AccountError(f"{email!r} is not an email address")
    try:
        passwords.check_strength(password, address)
    except passwords.WeakPassword as exc:
        raise AccountError(str(exc)) from None
    admin = find_admin(session, address)
    created = admin is None
    if admin is None:
        admin = AdminUser(email=address, password_hash=passwords.hash_password(password))
        session.add(admin)
    else:
        admin.password_hash = passwords.hash_password(password)
        admin.session_version += 1
    session.flush()
    return admin, created


def unlock(email: str) -> int:
    """Clear the account's failed-login delays, from every address; return how many there were."""
    return throttle.clear_account(email)
