"""Admin sessions: Flask's signed cookies, with no signing work for requests that carry none.

Flask opens the session of every request, and opening builds an itsdangerous serializer before
it even looks for the cookie. Twilio's webhooks, the API and the probes never send one, and
during an outage they are nearly all the traffic: they start with an empty session at once.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ  # no cookie at all: nothing to parse
            or self.get_cookie_name(app) not in request.cookies
        ):
            return self.session_class()
        return super().open_session(app, request)
