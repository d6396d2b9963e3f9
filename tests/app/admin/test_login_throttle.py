"""The growing delay after failed logins: per (account, client address), never a lockout.

Every app here runs behind one trusted proxy (`BACKLINE_TRUSTED_PROXIES=1`), as the docs tell
operators to: the proxy appends the client's address to X-Forwarded-For. Failure modes named
here: guesses from one address keep that address waiting and no other; one wrong guess per
delay window from ever-new addresses never keeps the right password out; an account guessed at
from more addresses than its ceiling makes each failing address wait the longest delay while a
clean address still goes straight in; `backline admin unlock` clears every address's delay on
the account; and an address no column could hold is still answered with a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from app.admin import throttle
from app.admin.accounts import set_admin
from app.core.extensions import db
from app.core.periodic import periodic_named, run_once
from app.models import LoginThrottle
from tests.app.admin.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, CSRF_INPUT
from tests.conftest import Invoke
from tests.support.app_state import dispose_engines

PROXY = "10.0.0.1"
WRONG = "guessing wrong again"

LogIn = Callable[..., TestResponse]


@pytest.fixture
def proxied(settings: dict[str, Any], app: Flask) -> Iterator[Flask]:
    """The app behind one trusted proxy, with the suite's account (tables emptied by `app`)."""
    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    built = create_app({**settings, "BACKLINE_TRUSTED_PROXIES": 1})
    yield built
    dispose_engines(built)


@pytest.fixture
def log_in_from(proxied: Flask) -> LogIn:
    """log_in_from(address, password=…): a fresh browser's login through the proxy."""

    def log_in(address: str, password: str = ADMIN_PASSWORD, email: str = ADMIN_LOGIN) -> Any:
        client = _browser_behind_proxy(proxied, address)
        page = client.get("/admin/login")
        match = CSRF_INPUT.search(page.text)
        assert match, page.text
        form = {"email": email, "password": password, "csrf_token": match.group(1)}
        return client.post("/admin/login", data=form)

    return log_in


def _browser_behind_proxy(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    client.environ_base["REMOTE_ADDR"] = PROXY
    # A client may send its own X-Forwarded-For; the proxy appends the address it saw.
    client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.250, {address}"
    return client


def _age_failures() -> None:
    """Move every recorded failure back past the longest delay: the next guess is checked."""
    db.session.expire_all()
    for row in db.session.scalars(select(LoginThrottle)):
        row.last_failure_at -= timedelta(seconds=throttle.MAX_DELAY_S + 1)
    db.session.commit()


def guess_wrong(log_in_from: LogIn, address: str, times: int) -> None:
    """`times` wrong passwords from `address`, each one checked and counted."""
    for _ in range(times):
        _age_failures()
        assert log_in_from(address, WRONG).status_code == 401


def failed_before(address: str, times: int, email: str = ADMIN_LOGIN) -> None:
    """Record failures as wrong passwords from `address` leave them (the logins are slow)."""
    for _ in range(times):
        throttle.note_failure(throttle.Attempt(email, address))


def test_guesses_from_one_address_keep_only_that_address_waiting(log_in_from: LogIn) -> None:
    attacker, noc = "203.0.113.9", "198.51.100.20"
    guess_wrong(log_in_from, attacker, times=8)

    own = log_in_from(attacker)  # even the right password waits its turn from there
    assert own.status_code == 429
    assert 1 <= int(own.headers["Retry-After"]) <= 2 ** (8 - throttle.FREE_FAILURES)
    assert "Too many failed attempts" in own.text

    noc_login = log_in_from(noc)
    assert noc_login.status_code == 302, noc_login.text
    assert log_in_from(attacker).status_code == 429  # the NOC's success cleared nothing there


def test_one_guess_per_window_from_ever_new_addresses_never_keeps_the_noc_out(
    log_in_from: LogIn,
) -> None:
    for n in range(6):  # the account's failures grow as if each came once its wait was over
        guess_wrong(log_in_from, f"203.0.113.{n + 1}", times=1)
    assert log_in_from("198.51.100.20").status_code == 302
    guess_wrong(log_in_from, "203.0.113.99", times=1)
    assert log_in_from("198.51.100.20").status_code == 302
    assert log_in_from("198.51.100.21").status_code == 302


def test_an_account_guessed_from_many_addresses_slows_the_failing_ones_only(
    log_in_from: LogIn,
) -> None:
    for n in range(throttle.ACCOUNT_CEILING - 1):  # one guess each: every one free on its own
        failed_before(f"203.0.{n // 200}.{n % 200 + 1}", times=1)
    assert log_in_from("192.0.2.1", WRONG).status_code == 401  # the guess that reaches it

    # Past the ceiling, an address that has failed even once waits the longest delay ...
    slowed = log_in_from("192.0.2.1")
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) > throttle.MAX_DELAY_S // 2
    assert log_in_from("203.0.0.1").status_code == 429
    # ... while an address that has not been failing is let through with the right password,
    assert log_in_from("198.51.100.20").status_code == 302
    # and one that fails now waits after its first failure.
    assert log_in_from("198.51.100.21", WRONG).status_code == 401
    assert log_in_from("198.51.100.21").status_code == 429


def test_unlock_clears_the_delay_of_every_address_on_the_account(
    log_in_from: LogIn, cli: Invoke
) -> None:
    for address in ("203.0.113.9", "198.51.100.20"):
        failed_before(address, times=10)
        assert log_in_from(address).status_code == 429

    unlocked = cli("admin", "unlock", ADMIN_LOGIN)

    assert unlocked.exit_code == 0, unlocked.output
    assert "delay cleared" in unlocked.output
    assert log_in_from("198.51.100.20").status_code == 302
    assert log_in_from("203.0.113.9").status_code == 302


@pytest.mark.parametrize(
    "address,email",
    [
        ("2001:db8::1%" + "eth0" * 40, ADMIN_LOGIN),  # longer than any address column allows
        ("198.51.100.7", "\u0130" * 320),  # 320 characters that lower-case to 640
    ],
)
def test_an_address_or_account_no_column_holds_still_gets_an_answer(
    log_in_from: LogIn, address: str, email: str
) -> None:
    assert log_in_from(address, WRONG, email=email).status_code == 401
    failed_before(address, times=10, email=email)
    assert log_in_from(address, email=email).status_code == 429
    assert log_in_from("198.51.100.20").status_code == 302


def test_lapsed_counts_are_deleted_and_live_ones_kept(app: Flask) -> None:
    now = throttle.utcnow()
    lapsed = now - throttle.FORGET_AFTER - timedelta(seconds=1)
    live = now - throttle.FORGET_AFTER + timedelta(minutes=5)
    db.session.add_all(
        [
            LoginThrottle(
                key="account:a@x.example|ip:203.0.113.7", failures=9, last_failure_at=lapsed
            ),
            LoginThrottle(key="account:a@x.example", failures=9, last_failure_at=live),
        ]
    )
    db.session.commit()

    assert run_once(periodic_named("forget-lapsed-logins"))  # as the scheduler runs it

    assert db.session.scalars(select(LoginThrottle.key)).all() == ["account:a@x.example"]
    assert throttle.forget_lapsed() == 0  # nothing left to forget
