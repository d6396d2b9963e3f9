"""The Prometheus collector behind /metrics: everything is read at scrape time.

The database, Redis and storage are asked at once under one deadline (`app.probes`). What does
not answer in time is left out and its `backline_dependency_up` is 0; the scrape itself never
fails because of it. While the call path's circuit breaker is open the database is not asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from flask import Flask
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from app.core.jobs import ThreadBackend
from app.core.probes import Outcome, prober
from app.core.storage import Storage
from app.metrics.families import Scrape, families
from app.metrics.figures import read_figures
from app.metrics.queues import heartbeats_in_memory, in_process_jobs, read_redis
from app.resilience.pending import STORAGE_PREFIX

SCRAPE_TIMEOUT_S = 2.0


class BacklineCollector(Collector):
    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # registering must not query anything

    def collect(self) -> Iterator[Metric]:
        yield from families(self.scrape())

    def scrape(self) -> Scrape:
        """Read everything, each dependency bounded by the scrape's deadline."""
        extensions = self.app.extensions
        answers = prober(self.app).ask(self._questions(), SCRAPE_TIMEOUT_S)
        return Scrape(
            database=_value(answers.get("metrics:database")),
            redis_used=extensions.get("backline.redis") is not None,
            redis=_value(answers.get("metrics:redis")),
            stored_pending=_value(answers.get("metrics:storage")),
            in_process_jobs=_thread_jobs(extensions["backline.jobs"]),
            memory_heartbeats=heartbeats_in_memory(self.app),
            intervals={job.name: job.every_s for job in extensions["backline.periodic"]},
        )

    def _questions(self) -> dict[str, Callable[[], Any]]:
        extensions = self.app.extensions
        questions: dict[str, Callable[[], Any]] = {
            "metrics:storage": partial(_stored_pending, extensions["backline.storage"])
        }
        if not extensions["backline.breaker"].is_open:
            questions["metrics:database"] = partial(read_figures, extensions["backline.db.calls"])
        if extensions.get("backline.redis") is not None:
            questions["metrics:redis"] = partial(read_redis, extensions["backline.redis"])
        return questions


def _thread_jobs(backend: object) -> dict[tuple[str, str], int] | None:
    return in_process_jobs(backend) if isinstance(backend, ThreadBackend) else None


def _stored_pending(storage: Storage) -> int:
    return len(storage.list(STORAGE_PREFIX))


def _value(outcome: Outcome[Any] | None) -> Any:
    return outcome.value if outcome is not None and outcome.ok else None
