"""Gunicorn settings for the Procfile's web process.

Twilio waits 15 seconds for a webhook before it gives up on the call (and tries the Fallback
URL), so a request that takes longer than that is already lost: the timeout says so.
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
