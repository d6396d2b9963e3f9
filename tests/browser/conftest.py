"""Fixtures for the admin UI in a real browser: Debian's Chromium, driven by Playwright.

- `live_url`: Backline served over real HTTP on 127.0.0.1, its public URL pointing at itself
  (so the session cookie is not Secure-only and listen links play from it); tables emptied by
  the `app` fixture, which the test also uses to make rows.
- `browser`: headless Chromium for the session. Without the program, or when it cannot start,
  the tests are skipped saying why; with BACKLINE_REQUIRE_REAL_COMPONENTS=1 they fail instead.
- `page`: a fresh browser context and tab per test, 1280 by 800 pixels, failing the test on any
  JavaScript error the pages raised, on anything their Content-Security-Policy refused, and on
  any 5xx answer the browser got.
- `admin_page`: `page`, logged in through the real login form as `ADMIN_LOGIN`.
- `screenshot(page, name)`: saves docs/screenshots/NAME.png when BACKLINE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Error, Page, ViewportSize, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.admin.accounts import set_admin
from app.core.extensions import db, jobs
from tests.conftest import dispose_engines
from tests.helpers import free_port, missing_component, require_program

ADMIN_LOGIN = "noc@provider.example"
ADMIN_PASSWORD = "correct horse battery staple"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=10_000)


@pytest.fixture
def live_url(settings: dict[str, Any], app: Flask) -> Iterator[str]:
    """A second app from the same settings, served in a thread; the test's `app` cleaned up."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    served = create_app({**settings, "BACKLINE_PUBLIC_URL": url})
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(5)
    with served.app_context():
        jobs.wait_idle(30)  # notices the served app queued, when jobs run in-process
    dispose_engines(served)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = require_program("chromium", also=("chromium-browser",))
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                args=["--autoplay-policy=no-user-gesture-required"],  # the voicemail test plays
            )
        except Error as exc:
            missing_component(f"Chromium ({executable}) does not start under Playwright: {exc}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"JavaScript: {error}"))
    tab.on(
        "console",
        lambda message: (
            errors.append(f"CSP: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    tab.on(
        "response",
        lambda answer: (
            errors.append(f"{answer.status} from {answer.url}") if answer.status >= 500 else None
        ),
    )
    yield tab
    context.close()
    assert not errors, f"errors while the test used the admin pages: {errors}"


def log_in(page: Page, email: str, password: str) -> None:
    """Fill in and send the real login form."""
    page.goto("/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def admin_account(app: Flask) -> str:
    set_admin(db.session(), ADMIN_LOGIN, ADMIN_PASSWORD)
    db.session.commit()
    return ADMIN_LOGIN


@pytest.fixture
def admin_page(page: Page, admin_account: str) -> Page:
    log_in(page, admin_account, ADMIN_PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def screenshot(page: Page, name: str) -> None:
    """Save the window (not the whole page) as docs/screenshots/NAME.png, when BACKLINE_SCREENSHOTS=1."""
    if os.environ.get("BACKLINE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", animations="disabled")
