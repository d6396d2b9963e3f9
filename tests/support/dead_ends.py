"""Services that are down or hung, for the tests of what Backline does without them.

- `refused_url(scheme)`: a URL on a 127.0.0.1 port nothing listens on (connections refused).
- `SilentServer`: accepts connections and never says a word, like a hung database or relay.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from tests.helpers import free_port


def refused_url(scheme: str, path: str = "") -> str:
    """`scheme://127.0.0.1:PORT/path` where nothing listens."""
    return f"{scheme}://127.0.0.1:{free_port()}{path}"


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
