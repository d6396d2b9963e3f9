"""Admin passwords: argon2id hashes (argon2-cffi's defaults), rehashed when those change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 12
# Verifying against this when the account does not exist costs the same time as a real check,
# so the answer's timing does not tell which addresses have accounts. It is a literal (the hash
# of "backline-no-such-account" with the hasher's parameters; a test keeps them equal): hashing
# it at import cost every process half a second of CPU, `backline --help` included.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$jUOC9XmNcS0ndHMCKng9mA$iAT0Gyq57qLmMlP9ppnitK05kT20Noc/z7VAYjWjDvc"


class WeakPassword(ValueError):
    """A password too short or too plain to protect the NOC's console."""


def check_strength(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_LENGTH} characters long")
    if password.lower() in email.lower() or len(set(password)) < 4:
        raise WeakPassword("the password is too easy to guess")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; a missing account is checked against a dummy hash."""
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
