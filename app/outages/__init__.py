"""app.outages."""
