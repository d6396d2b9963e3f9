"""Services that are down or hung, for the tests of what Backline does without them.

- `refused_url(scheme)`: a URL on a 127.0.0.1 port nothing listens on (connections refused).
- `SilentServer`: accepts connections and never says a word, like a hung database or relay.
- `database_down(app)`: the app's database on such a refusing port, for a `with` block.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

from flask import Flask

from app.core.circuit import CircuitBreaker
from app.core.database import build_engine
from app.core.extensions import db
from tests.helpers import free_port


def refused_url(scheme: str, path: str = "") -> str:
    """`scheme://127.0.0.1:PORT/path` where nothing listens."""
    return f"{scheme}://127.0.0.1:{free_port()}{path}"


@contextlib.contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Point `app` at a database port that refuses connections; restore it afterwards."""
    saved = {name: app.extensions[name] for name in ("backline.db", "backline.db.calls")}
    db.session.remove()
    for name in saved:
        app.extensions[name] = build_engine(refused_url("postgresql", "/backline"))
    try:
        yield
    finally:
        db.session.remove()
        app.extensions.update(saved)
        app.extensions["backline.breaker"].close()  # it would probe the dead end for good
        app.extensions["backline.breaker"] = CircuitBreaker()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, scheme: str, path: str = "") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        for connection in self._held:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed by __exit__
                return
            self._held.append(connection)
