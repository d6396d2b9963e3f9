"""A redis-server of the test's own, without persistence, that the test can restart.

A restart loses everything, as a Redis without persistence does in production: the queues, the
pending store and the shared snapshot with its version number.
"""

from __future__ import annotations

import os
import signal
import subprocess
from types import TracebackType

import redis

from tests.helpers import free_port, require_program, wait_until


class RedisServer:
    """`redis-server` on a free 127.0.0.1 port; `url(db)` points at it."""

    def __init__(self) -> None:
        self.program = require_program("redis-server", "redis-server")
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        self._process = subprocess.Popen(
            [self.program, *options, "no"], stdout=subprocess.DEVNULL, start_new_session=True
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        wait_until(lambda: _answers(client), timeout=20)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # as abrupt as a crash: nothing is saved
            process.wait(timeout=15)

    def restart(self) -> None:
        """Kill it and start an empty one on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
