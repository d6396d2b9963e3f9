"""The baseline for the `/ivr/voice` benchmark: a bare Flask endpoint returning fixed TwiML.

No signature check, no lookup, no write: what Flask under the same gunicorn settings costs.
"""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

GREETING = "We are aware of an outage affecting this line and are working on it. Please hold."


def fixed_twiml() -> str:
    """A greeting and a one-key menu, about the size of Backline's outage answer."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action="/ivr/menu", timeout=5)
    gather.say(GREETING, language="en-US")
    response.redirect("/ivr/record")
    return str(response)


def create_app() -> Flask:
    """Build the bare app: POST /ivr/voice answers the same TwiML every time."""
    app = Flask(__name__)
    body = fixed_twiml()

    @app.post("/ivr/voice")
    def voice() -> Response:
        return Response(body, mimetype="application/xml")

    return app
