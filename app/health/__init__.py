"""app.health."""
