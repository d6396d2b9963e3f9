"""Scenario tests: where two features meet, each driven through the real path.

One module per combination, named after it (an overlapping outage resolved, Backline's own
fallback seen by the detector, Redis hung during a recording callback, ...): signed webhooks,
the CLI, real SMTP, and PostgreSQL and Redis when the suite runs against them.
"""
