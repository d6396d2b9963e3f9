"""app.outages.notices."""
