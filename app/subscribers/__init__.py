"""app.subscribers."""
