"""Where the rate limiter looks at all: before the API's and the admin UI's views, never on the
call path (Twilio's webhooks would pay its CPU for a count that never applies to them)."""

from __future__ import annotations

from flask import Flask

from app.security.limits import EXTENSION


def _limiter_hooks(app: Flask, scope: str | None) -> list[int]:
    """Positions of the limiter's own hooks among `scope`'s before-request functions."""
    limiter = app.extensions[EXTENSION]
    hooks = app.before_request_funcs.get(scope, [])
    return [i for i, hook in enumerate(hooks) if getattr(hook, "__self__", None) is limiter]


def test_the_limiter_checks_only_the_api_and_the_admin_ui_before_their_own_hooks(
    app: Flask,
) -> None:
    assert _limiter_hooks(app, None) == []
    assert _limiter_hooks(app, "api") == [0]  # before the token check
    assert _limiter_hooks(app, "admin") == [0]  # before the CSRF check
    for webhooks in ("ivr", "voicemail", "forwarding", "status_page"):
        assert _limiter_hooks(app, webhooks) == []
