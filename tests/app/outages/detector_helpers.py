"""A stand-in for the primary's health endpoint, and helpers that drive and read the detector."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.models import Outage, OutageSource, PrimaryFailure, utcnow
from app.outages.detector import check_primary

OPEN_AFTER = 3


CLOSE_AFTER = 5


FAILURES = 5


class HealthServer:
    """The primary's health endpoint: answers `status`, or hangs, or hangs up without answering."""

    def __init__(self) -> None:
        self.status: int | str = 200  # an HTTP status, "hang" or "close"
        self.requests = 0
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.status == "hang":
                    server.release.wait(10)
                    return
                if server.status == "close":
                    return  # the connection closes with no status line at all
                assert isinstance(server.status, int)
                self.send_response(server.status)
                if 300 <= server.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/health"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HealthServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _detector_settings(url: str | None) -> dict[str, Any]:
    return {
        "PRIMARY_HEALTH_URL": url,
        "BACKLINE_DETECTOR_OPEN_AFTER": OPEN_AFTER,
        "BACKLINE_DETECTOR_CLOSE_AFTER": CLOSE_AFTER,
        "BACKLINE_DETECTOR_FAILURES": FAILURES,
        "BACKLINE_DETECTOR_WINDOW_SECONDS": 120,
        "BACKLINE_DETECTOR_PROBE_TIMEOUT_SECONDS": 1,
    }


def _detector_outages() -> list[Outage]:
    db.session.expire_all()
    query = select(Outage).where(Outage.source == OutageSource.DETECTOR).order_by(Outage.id)
    return list(db.session.scalars(query))


def _checks(health: HealthServer, pattern: Sequence[int | str]) -> None:
    """One detector check per entry, with the endpoint answering that entry."""
    for status in pattern:
        health.status = status
        check_primary()


def _evidence(count: int, seconds_ago: float = 0, kind: str = "dial") -> None:
    at = utcnow() - timedelta(seconds=seconds_ago)
    for _ in range(count):
        db.session.add(
            PrimaryFailure(
                at=at,
                call_sid="CA" + secrets.token_hex(16),
                kind=kind,
                sip_code=503 if kind == "dial" else None,
            )
        )
    db.session.commit()
