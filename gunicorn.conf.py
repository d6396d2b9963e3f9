"""Gunicorn settings for the Procfile's web process.

With threaded workers, `timeout` restarts a worker whose main loop has stopped answering; it
does not cut off one slow request (the call path bounds its own database and Redis waits).

`preload_app` builds the app once in the arbiter; each worker is a fork of it. Building it costs
about a CPU-second and several seconds on a busy machine, and `max_requests` replaces a worker
every few thousand requests: without preloading, every replacement paid that again while its
share of the calls waited on the other workers (the tail of the `/ivr/voice` benchmark). The
app connects to nothing while it is built, and a forked process opens its own connections
(app/core/database.py), so the workers share no socket.

`max_requests` bounds what a slow leak could grow to, at a price paid on every replacement:
the old worker's interpreter tears its heap down, and the new one connects to PostgreSQL and
Redis and loads its snapshot while its share of the calls waits. At 5,000 requests a loaded
worker was replaced every few seconds, and those replacements were the largest single cost in
the `/ivr/voice` benchmark (docs/benchmarks.md). 50,000 is still minutes at the busiest
outage's rate and days at an ordinary one.
"""

import gc
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
timeout = 15
graceful_timeout = 20
keepalive = 5
max_requests = 50_000  # recycle workers now and then; jitter keeps them from restarting together
max_requests_jitter = 5_000
accesslog = "-"
errorlog = "-"


def when_ready(server: object) -> None:
    """Freeze what the arbiter built out of the garbage collector's sight, before any fork.

    The preloaded app (modules, blueprints, caches) lives as long as the process, yet every full
    collection in a worker, and the one at its exit, would walk all of it again, writing to its
    pages and unsharing them from the arbiter's. Frozen, collections walk what requests made.
    """
    gc.collect()
    gc.freeze()
