"""app.twilio."""
