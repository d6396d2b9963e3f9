"""Serving an app as production does: a fixed pool of request threads (waitress, as `backline
serve` runs it; gunicorn's gthread workers have the same shape). A test client answers every
request on its own thread; only a real pool shows requests waiting behind stuck ones."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import requests
from flask import Flask
from twilio.request_validator import RequestValidator
from waitress.server import create_server

from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL


@contextlib.contextmanager
def serving(app: Flask, threads: int) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 with `threads` request threads; yield its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    runner = threading.Thread(target=server.run, name="waitress", daemon=True)
    runner.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        # Close every socket on the loop's own thread: closed from here, a socket the loop is
        # still selecting on fails it with EBADF. With its map empty, the loop returns.
        server.trigger.pull_trigger(lambda: _close_all(server))  # type: ignore[union-attr]
        runner.join(timeout=5)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)


def _close_all(server: object) -> None:
    for channel in list(server._map.values()):  # type: ignore[attr-defined]
        channel.close()


def post_signed(base: str, path: str, params: dict[str, str], timeout: float) -> requests.Response:
    """POST a webhook signed as Twilio signs it for BACKLINE_PUBLIC_URL + path."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    return requests.post(
        base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=timeout
    )
