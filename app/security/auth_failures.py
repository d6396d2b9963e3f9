"""Failed API authentications, counted against the client's address.

Each request to the API counts against its bearer token (app.limits), so a client inventing a
new token for every request would never reach a limit. A request whose token is missing or
not valid therefore also counts against the client's address, at the API's rate
(`BACKLINE_RATE_LIMIT_API`). Past it, such requests get 429 instead of 401 until the window
ends. A valid token is never refused for failures from its address: nobody can lock a script
or the NOC out of the API by guessing, and the Alertmanager receiver is never limited at all.

The counts share the limiter's storage (Redis, or each process's memory while Redis is away);
when neither can count, the request is let through.
"""

from __future__ import annotations

import math
import time

import structlog
from flask import current_app, request
from flask_limiter import Limiter
from limits import parse_many

from app.security.limits import EXTENSION, UNLIMITED_API_ENDPOINTS, client_address

log = structlog.get_logger(__name__)

SCOPE = "api-auth-failures"


def count_failed_authentication() -> int:
    """Count a failed authentication from this client; seconds it must wait, 0 while under."""
    if request.endpoint in UNLIMITED_API_ENDPOINTS:
        return 0  # the Alertmanager receiver is never limited, whatever its token
    limiter: Limiter = current_app.extensions[EXTENSION]
    address = client_address()
    try:
        for rate in parse_many(current_app.config["BACKLINE_RATE_LIMIT_API"]):
            if not limiter.limiter.hit(rate, SCOPE, address):
                reset_at = limiter.limiter.get_window_stats(rate, SCOPE, address).reset_time
                log.warning("failed api authentications past the limit", limit=str(rate))
                return max(1, math.ceil(reset_at - time.time()))
    except Exception as exc:  # no storage can count now: never refuse a request for that
        log.warning("failed api authentications not counted", error=type(exc).__name__)
    return 0
