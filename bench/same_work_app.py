"""The same-work baseline for the `/ivr/voice` benchmark: only what the webhook must do.

1. validate `X-Twilio-Signature` with twilio's `RequestValidator`;
2. `INSERT … ON CONFLICT` one call row, committed to PostgreSQL (the same `calls` table);
3. return fixed TwiML (the bare app's).

One psycopg connection per gunicorn thread, in autocommit mode, opened on first use.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import psycopg
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from .bare_app import fixed_twiml

UPSERT = (
    "INSERT INTO calls (call_sid, created_at, from_number, to_number, status, outcome)"
    " VALUES (%s, %s, %s, %s, %s, 'ivr')"
    " ON CONFLICT (call_sid) DO UPDATE SET status = EXCLUDED.status"
)


def create_app() -> Flask:
    """Build the app from DATABASE_URL, TWILIO_AUTH_TOKEN and BACKLINE_PUBLIC_URL."""
    app = Flask(__name__)
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    url = os.environ["BACKLINE_PUBLIC_URL"].rstrip("/") + "/ivr/voice"
    database = os.environ["DATABASE_URL"]
    local = threading.local()
    body = fixed_twiml()

    def connection() -> psycopg.Connection:
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(database, autocommit=True)
        return local.connection  # type: ignore[no-any-return]

    @app.post("/ivr/voice")
    def voice() -> Response:
        form = request.form
        if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        row = (form["CallSid"], datetime.now(UTC), form["From"], form["To"], form["CallStatus"])
        connection().execute(UPSERT, row)
        return Response(body, mimetype="application/xml")

    return app
