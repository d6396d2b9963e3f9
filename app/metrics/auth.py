"""Who may read /metrics: the API's bearer tokens, checked without hanging on a sick database.

The token is looked up with a bounded query. While the database cannot answer, a token this
process verified within the last hour is still accepted: metrics are read-only, and a database
outage is when they matter most. Any other token then gets 503. Revoking a token takes effect
for /metrics as soon as the database answers again.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, Response, current_app, jsonify
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.probes import prober
from app.security.tokens import BEARER_CHALLENGE, authenticate, bearer_token, hash_token

AUTH_TIMEOUT_S = 1.0
REMEMBER_S = 3600.0


class RecentTokens:
    """Hashes of the tokens this process verified lately, with when."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def remember(self, digest: str) -> None:
        with self._lock:
            self._seen[digest] = time.monotonic()

    def forget(self, digest: str) -> None:
        with self._lock:
            self._seen.pop(digest, None)

    def knows(self, digest: str) -> bool:
        seen = self._seen.get(digest)
        return seen is not None and time.monotonic() - seen < REMEMBER_S


def refusal() -> Response | None:
    """None when the request carries a good token; else the 401 (or 503) to answer."""
    presented = bearer_token()
    if presented is None:
        return _refuse(
            401,
            "A valid API token is required: send `Authorization: Bearer <token>` "
            "(make one with `backline token create NAME`).",
            BEARER_CHALLENGE,
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    verdict = _verify(app, presented) if presented else False
    if verdict is None:
        response = _refuse(
            503, "The token cannot be checked while the database is unavailable; retry shortly."
        )
        response.headers["Retry-After"] = "15"
        return response
    if not verdict:
        return _refuse(
            401,
            "The API token is not valid or has been revoked.",
            BEARER_CHALLENGE + ', error="invalid_token"',
        )
    return None


def _verify(app: Flask, presented: str) -> bool | None:
    """True or False from the database; when it cannot tell, what this process remembers."""
    digest = hash_token(presented)
    recent: RecentTokens = app.extensions.setdefault("backline.metrics_tokens", RecentTokens())
    if not app.extensions["backline.breaker"].is_open:
        engine = app.extensions["backline.db.calls"]
        # One check at a time: a flood of made-up tokens against a hung database must not
        # start a thread each. A check that finds the slot busy relies on the memory below.
        question = {"metrics:token": lambda: _is_active(engine, presented)}
        (answer,) = prober(app).ask(question, AUTH_TIMEOUT_S).values()
        if answer.ok and answer.value:
            recent.remember(digest)
            return True
        if answer.ok:
            recent.forget(digest)
            return False
    return True if recent.knows(digest) else None


def _is_active(engine: Engine, presented: str) -> bool:
    with Session(engine) as session:
        return authenticate(session, presented) is not None


def _refuse(status: int, message: str, challenge: str | None = None) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response
