"""A TCP proxy that can freeze, for the tests of a hung service (PostgreSQL, Redis, a relay).

Frozen, it still accepts connections (the kernel does the handshake) and takes whatever clients
send, but relays nothing either way: exactly what a client sees of a hung server, or of a path
that swallows traffic while the connection looks alive. Since the proxy's kernel acknowledges
every byte, neither TCP keepalives nor tcp_user_timeout notice anything; only a bound the client
keeps itself does. Thawed, it relays again, starting with what waited.

    with database_proxy(DATABASE_URL) as proxy:
        app = create_app({**settings, "DATABASE_URL": through(proxy, DATABASE_URL)})
        proxy.freeze()
        ...
        proxy.thaw()
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

from sqlalchemy.engine import make_url

CHUNK = 65536


class FreezableProxy:
    """Relays 127.0.0.1:`port` to `upstream` until frozen; `connections` counts those accepted."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.connections = 0
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def freeze(self) -> None:
        """Accept connections and data, relay nothing."""
        self._flowing.clear()

    def thaw(self) -> None:
        """Relay again, starting with what waited."""
        self._flowing.set()

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def __enter__(self) -> FreezableProxy:
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._flowing.set()  # releases the relays that held data; their sends now fail

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed by __exit__
                return
            self.connections += 1
            self._track(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        self._flowing.wait()  # a connection accepted while frozen reaches nothing yet
        if self._closed:
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._track(upstream)
        threading.Thread(target=self._relay, args=(upstream, client), daemon=True).start()
        self._relay(client, upstream)

    def _relay(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            if data:
                self._flowing.wait()  # what arrives while frozen waits here
            if not data or self._closed:
                break
            try:
                target.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)


def database_proxy(database_url: str) -> FreezableProxy:
    """A proxy in front of the server of `database_url` (PostgreSQL)."""
    parsed = make_url(database_url)
    return FreezableProxy(parsed.host or "127.0.0.1", parsed.port or 5432)


def through(proxy: FreezableProxy, database_url: str) -> str:
    """`database_url`, reached through `proxy`."""
    proxied = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return proxied.render_as_string(hide_password=False)
