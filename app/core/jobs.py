"""The job queue: rq on Redis when `REDIS_URL` is set, a thread in this process otherwise.

Both run the same job functions. A job is a plain importable function that takes ids; the
`@job` decorator records its queue, timeout and retry intervals, and registers the function by
name (`job_named`) so a job kept for later can be queued by name. Enqueueing never raises into a
webhook: when Redis is unreachable it logs and returns False, and the stored row is enough for
the sweeper to pick the work up later (webhooks also keep the job: app/pending_jobs.py).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import redis
import structlog
from flask import Flask
from rq import Queue, Retry

from app.core.redis_guard import GuardedRedis

log = structlog.get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

QUEUES = ("voicemail", "email", "notices")  # a worker serves them in this order
_JOBS: dict[str, Callable[..., Any]] = {}


class QueueUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached: what needs it waits."""


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int
    retry_intervals: tuple[int, ...]


def job(
    queue: str, timeout: int = 300, retry_intervals: tuple[int, ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a function as a job: its queue, its timeout and how often to retry it."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        func.job_spec = JobSpec(queue, timeout, retry_intervals)  # type: ignore[attr-defined]
        _JOBS[job_name(func)] = func
        return func

    return decorate


def job_name(func: Callable[..., Any]) -> str:
    """The name a job is registered under: `module.function`."""
    return f"{func.__module__}.{func.__qualname__}"


def job_named(name: str) -> Callable[..., Any]:
    """The job function registered under `name` (KeyError if there is none)."""
    return _JOBS[name]


def redis_connection(url: str, socket_timeout: float | None = 2) -> redis.Redis:
    """A Redis client with short timeouts and a circuit breaker (app/redis_guard.py): a Redis
    that refuses connections costs a webhook nothing, and one that hangs costs one timeout per
    process and cooldown, whatever uses the client (the app shares one with its rq queues).

    The worker passes `socket_timeout=None` for rq's own connection: it blocks on the queue for
    minutes by design, so it gets a plain client.
    """
    client_class = GuardedRedis if socket_timeout else redis.Redis
    return client_class.from_url(url, socket_connect_timeout=1, socket_timeout=socket_timeout)


class RqBackend:
    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection  # the app's client: one breaker for enqueues and the rest

    def enqueue(self, func: Callable[..., Any], args: tuple[Any, ...], spec: JobSpec) -> None:
        retry = None
        if spec.retry_intervals:
            retry = Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
        queue = Queue(spec.queue, connection=self.connection)
        queue.enqueue(func, *args, job_timeout=spec.timeout, retry=retry)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is queued, scheduled or running (for tests and CLI commands)."""
        deadline = time.monotonic() + timeout
        idle_in_a_row = 0
        while time.monotonic() < deadline:
            if all(self._is_idle(Queue(name, connection=self.connection)) for name in QUEUES):
                idle_in_a_row += 1
                if idle_in_a_row >= 2:  # a job just popped is in no list for a moment
                    return True
            else:
                idle_in_a_row = 0
            time.sleep(0.02)
        return False

    def _is_idle(self, queue: Queue) -> bool:
        """No job queued, popped into rq's intermediate list, started or scheduled."""
        return (
            queue.count == 0
            and self.connection.llen(queue.intermediate_queue_key) == 0
            and queue.started_job_registry.count == 0
            and queue.scheduled_job_registry.count == 0
        )


class ThreadBackend:
    """Runs jobs on one background thread inside an app context, with delayed retries."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pending: list[tuple[float, int, Callable[..., Any], tuple[Any, ...], int]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._running = 0
        self._thread: threading.Thread | None = None

    def enqueue(self, func: Callable[..., Any], args: tuple[Any, ...], spec: JobSpec) -> None:
        self._schedule(0.0, func, args, attempt=0)

    def _schedule(
        self, delay: float, func: Callable[..., Any], args: tuple[Any, ...], attempt: int
    ) -> None:
        with self._condition:
            entry = (time.monotonic() + delay, next(self._counter), func, args, attempt)
            heapq.heappush(self._pending, entry)
            self._ensure_thread()
            self._condition.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="backline-jobs", daemon=True)
            self._thread.start()

    IDLE_EXIT_S = 30.0  # an idle thread ends (enqueue starts another), so the app can be freed

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._pending or self._pending[0][0] > time.monotonic():
                    if not self._pending:
                        if not self._condition.wait(self.IDLE_EXIT_S) and not self._pending:
                            self._thread = None
                            return
                        continue
                    self._condition.wait(self._pending[0][0] - time.monotonic())
                _due, _n, func, args, attempt = heapq.heappop(self._pending)
                self._running += 1
            try:
                self._run(func, args, attempt)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], attempt: int) -> None:
        spec: JobSpec = func.job_spec  # type: ignore[attr-defined]
        try:
            with self.app.app_context():
                structlog.contextvars.clear_contextvars()
                func(*args)
        except Exception:
            if attempt < len(spec.retry_intervals):
                delay = spec.retry_intervals[attempt]
                log.warning(
                    "job failed, will retry", job=func.__name__, retry_in_s=delay, exc_info=True
                )
                self._schedule(delay, func, args, attempt + 1)
            else:
                log.error("job failed for good", job=func.__name__, exc_info=True)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every due job has run; jobs scheduled for later do not count."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._running or any(due <= time.monotonic() for due, *_ in self._pending):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True


class JobQueue:
    """Flask extension: `jobs.enqueue(process_voicemail, voicemail_id)`."""

    def init_app(self, app: Flask) -> None:
        """Queue on the app's Redis client (`backline.redis`) if it has one, else on a thread."""
        connection = app.extensions.get("backline.redis")
        backend = RqBackend(connection) if connection is not None else ThreadBackend(app)
        app.extensions["backline.jobs"] = backend

    @property
    def backend(self) -> RqBackend | ThreadBackend:
        from flask import current_app

        backend: RqBackend | ThreadBackend = current_app.extensions["backline.jobs"]
        return backend

    def enqueue(self, func: Callable[..., Any], *args: Any) -> bool:
        """Queue func(*args); False (and a log line) when the queue cannot be reached."""
        spec: JobSpec = func.job_spec  # type: ignore[attr-defined]
        try:
            self.backend.enqueue(func, args, spec)
        except redis.RedisError as exc:
            log.error(
                "queue unreachable; the stored row will be swept up",
                job=func.__name__,
                error=str(exc),
            )
            return False
        return True

    def enqueue_each(self, func: Callable[..., Any], ids: Iterable[Any]) -> int:
        """Queue func(id) for each id, stopping at the first the queue refuses; return how many.

        For the sweepers: the rest wait for their next round rather than each trying a queue
        that just failed.
        """
        queued = 0
        for one in ids:
            if not self.enqueue(func, one):
                break
            queued += 1
        return queued

    def wait_idle(self, timeout: float = 60.0) -> bool:
        return self.backend.wait_idle(timeout)
