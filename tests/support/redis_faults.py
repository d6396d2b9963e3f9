"""A Redis the tests can break for real: a private redis-server they kill and restart empty, and
a TCP proxy in front of it that freezes.

- `RedisServer`: `redis-server` on a free 127.0.0.1 port, without persistence (a restart comes
  back empty, as a Redis without AOF does); `kill()` sends SIGKILL, `start()` brings it back on
  the same port.
- `FreezingProxy`: relays to a port until `freeze()`; then it still accepts connections but
  relays nothing either way, like a hung Redis. `thaw()` closes what it held (those clients gave
  up long ago) and relays again. `sends_while_frozen` counts the requests clients sent into the
  freeze, so a test can count how many times Backline waited.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
from types import TracebackType

import redis

from tests.helpers import free_port, require_program, wait_until


class RedisServer:
    """A redis-server of the test's own, without persistence."""

    def __init__(self) -> None:
        self.program = require_program("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start it (again, empty) on its port and wait until it answers."""
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            [self.program, *options, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        wait_until(lambda: _answers(client), timeout=20)
        client.close()

    def kill(self) -> None:
        """SIGKILL it, as a crash or the OOM killer would: everything it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.kill()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class FreezingProxy:
    """A TCP proxy on 127.0.0.1 to `upstream_port` that can be frozen and thawed."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._frozen = False
        self._open: list[socket.socket] = []
        self._held: list[socket.socket] = []  # sockets that saw the freeze: closed on thaw
        self.accepted_while_frozen = 0
        self.sends_while_frozen = 0

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def freeze(self) -> None:
        """Accept connections but relay nothing, on new and open connections alike."""
        with self._lock:
            self._frozen = True
            self._held.extend(self._open)
            self._open.clear()

    def thaw(self) -> None:
        """Close every connection the freeze held, then relay again."""
        with self._lock:
            self._frozen = False
            held, self._held = self._held, []
        for sock in held:
            _close(sock)

    def __enter__(self) -> FreezingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            everything = self._open + self._held
        for sock in everything:
            _close(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed by __exit__
                return
            with self._lock:
                if self._frozen:
                    self.accepted_while_frozen += 1
                    self._held.append(client)
                    threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                    continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:  # the server is down: so is the connection through the proxy
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            target = self._held if self._frozen else self._open
            target.extend((client, upstream))
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                break
            if not data:
                break
            with self._lock:
                frozen = self._frozen
                if frozen and from_client:
                    self.sends_while_frozen += 1
            if frozen:
                continue  # swallowed: a hung server answers nothing
            try:
                sink.sendall(data)
            except OSError:
                break
        _close(sink)
        _close(source)

    def _swallow(self, client: socket.socket) -> None:
        """Read what a client sends to the frozen proxy, count it, and answer nothing."""
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.sends_while_frozen += 1


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
