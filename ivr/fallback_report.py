"""What `/ivr/fallback` does with a request that is not evidence against the primary: a log
line, and an admin alert through the job queue.

The webhook never waits for the alert: it only enqueues it, at most once per cause and error
code per BACKLINE_FALLBACK_ALERT_MINUTES in this process (the job itself makes it once across
processes). With the queue unreachable the alert is kept in the pending store and queued when
`replay-pending` runs again.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import current_app

from app.core.circuit import DatabaseUnavailable
from app.core.extensions import jobs
from app.core.local_marks import LocalMarks
from app.resilience.pending import NothingKept, handles, keep
from app.twilio.fallback_requests import FallbackCause
from forwarding.fallback_alerts import alert_fallback_not_counted

log = structlog.get_logger(__name__)

MARKS = "backline.fallback_alert_marks"
KIND = "fallback-alert"
URL_MAX_CHARS = 500


def report_not_counted(cause: FallbackCause, error_code: str | None, raw_url: str | None) -> None:
    """Log a fallback request the detector will not count, and have the admins told."""
    error_url = _printable(raw_url)
    log.warning(
        "fallback request not counted against the primary",
        cause=str(cause),
        error_code=error_code,
        error_url=error_url,
    )
    minutes = max(1, int(current_app.config["BACKLINE_FALLBACK_ALERT_MINUTES"]))
    marks: LocalMarks = current_app.extensions.setdefault(MARKS, LocalMarks())
    key = f"{cause}.{error_code or 'none'}"
    if not marks.claim(key, minutes * 60):
        return
    alert = {"cause": str(cause), "error_code": error_code, "error_url": error_url}
    if _enqueue(alert):
        return
    try:
        keep(KIND, alert)
    except NothingKept as exc:
        marks.forget(key)  # the next request tries again
        log.error("fallback alert lost: queue, Redis and storage unavailable", error=str(exc))


@handles(KIND)
def _enqueue_kept(alert: dict[str, Any]) -> None:
    if not _enqueue(alert):  # stop the replay here: the entry stays for the next round
        raise DatabaseUnavailable("the job queue is unreachable; the fallback alert waits")


def _enqueue(alert: dict[str, Any]) -> bool:
    return jobs.enqueue(
        alert_fallback_not_counted, alert["cause"], alert["error_code"], alert["error_url"]
    )


def _printable(url: str | None) -> str | None:
    """Twilio's ErrorUrl as one line of bounded length, for a log and an email."""
    if not url:
        return None
    text = "".join(ch for ch in url if ch.isprintable()).strip()
    return text[:URL_MAX_CHARS] or None
