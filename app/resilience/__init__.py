"""app.resilience."""
