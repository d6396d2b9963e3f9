"""Gunicorn settings for the Procfile's web process.

With threaded workers, `timeout` restarts a worker whose main loop has stopped answering; it
does not cut off one slow request (the call path bounds its own database and Redis waits).
"""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 15
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle workers now and then; jitter keeps them from restarting together
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
