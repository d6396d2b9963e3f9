"""Where the rate limiter looks at all: before the API's and the admin UI's views, never on the
call path (Twilio's webhooks would pay its CPU for a count that never applies to them)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask

from app.security.limits import EXTENSION


def _limiter_hooks(app: Flask, scope: str | None, kind: str = "before_request_funcs") -> list[int]:
    """Positions of the limiter's own hooks among `scope`'s hooks of one kind."""
    limiter = app.extensions[EXTENSION]
    hooks = getattr(app, kind).get(scope, [])
    return [i for i, hook in enumerate(hooks) if _owner(hook) is limiter]


def _owner(hook: Any) -> Any:
    """The object a hook is a method of (Flask-Limiter binds some with functools.partial)."""
    if isinstance(hook, partial):
        return hook.args[0] if hook.args else None
    return getattr(hook, "__self__", None)


def test_the_limiter_checks_only_the_api_and_the_admin_ui_before_their_own_hooks(
    app: Flask,
) -> None:
    assert _limiter_hooks(app, None) == []
    assert _limiter_hooks(app, "api") == [0]  # before the token check
    assert _limiter_hooks(app, "admin") == [0]  # before the CSRF check
    for webhooks in ("ivr", "voicemail", "forwarding", "status_page"):
        assert _limiter_hooks(app, webhooks) == []


def test_the_limiters_after_and_teardown_hooks_run_for_the_same_requests_only(app: Flask) -> None:
    for kind in ("after_request_funcs", "teardown_request_funcs"):
        assert _limiter_hooks(app, None, kind) == []
        for limited in ("api", "admin"):
            assert len(_limiter_hooks(app, limited, kind)) == 1
        for webhooks in ("ivr", "voicemail", "forwarding", "status_page"):
            assert _limiter_hooks(app, webhooks, kind) == []
