"""The values some options take, written out here because their sources are slow to import.

An outage's states live with the models (SQLAlchemy) and the queues with the job runner (rq and
Redis): importing either costs half a second or more, which `backline outage update --help` and
`backline worker --help` would pay just to list them. tests/app/cli/test_cli_conventions.py
keeps these equal to their sources.
"""

from __future__ import annotations

OUTAGE_STATES = ("investigating", "identified", "monitoring", "resolved")  # models.OutageState
# app.core.jobs.QUEUES then app.core.periodic.PERIODIC_QUEUES: the order a worker serves them in
WORKER_QUEUES = ("voicemail", "email", "notices", "periodic", "periodic-slow")
