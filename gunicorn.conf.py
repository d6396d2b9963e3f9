"""Gunicorn settings for the Procfile's web process.

With threaded workers, `timeout` restarts a worker whose main loop has stopped answering; it
does not cut off one slow request (the call path bounds its own database and Redis waits).

`preload_app` builds the app once in the arbiter; each worker is a fork of it. Building it costs
about a CPU-second and several seconds on a busy machine, and `max_requests` replaces a worker
every few thousand requests: without preloading, every replacement paid that again while its
share of the calls waited on the other workers (the tail of the `/ivr/voice` benchmark). The
app connects to nothing while it is built, and a forked process opens its own connections
(app/core/database.py), so the workers share no socket.
"""

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
max_requests = 5000  # recycle workers now and then; jitter keeps them from restarting together
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
