"""app.security."""
