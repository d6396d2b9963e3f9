"""The watchdog that ends a wait on PostgreSQL which has gone on too long.

A wait on a server that stopped answering, or on a path that swallows traffic while the TCP
connection looks alive, never ends by itself: the server's statement_timeout cannot fire, and
as long as something acknowledges the packets, neither can TCP keepalives nor tcp_user_timeout.
So each round trip is armed with a deadline, and one thread per process shuts down the socket of
a connection still waiting past it. The waiting thread wakes at once with an error; the
connection is then closed and never used again.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from typing import Protocol

IDLE_TICK_S = 1.0


class Watched(Protocol):
    """What the watchdog needs of a connection: the socket it waits on."""

    @property
    def pgconn(self) -> _HasSocket: ...


class _HasSocket(Protocol):
    @property
    def socket(self) -> int: ...


class Watchdog:
    """One daemon thread that cuts connections waiting past their deadline."""

    def __init__(self) -> None:
        self._start_afresh()
        # A forked child has no watchdog thread, and the lock may have been held at the fork.
        os.register_at_fork(after_in_child=self._start_afresh)

    def _start_afresh(self) -> None:
        self._condition = threading.Condition()
        self._deadlines: dict[int, tuple[float, Watched]] = {}
        self._cut: set[int] = set()
        self._wake_at = math.inf
        self._thread: threading.Thread | None = None

    def arm(self, connection: Watched, seconds: float) -> None:
        """Cut `connection` if it is still waiting `seconds` from now."""
        deadline = time.monotonic() + seconds
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="backline-db-watchdog", daemon=True
                )
                self._thread.start()
            self._deadlines[id(connection)] = (deadline, connection)
            if deadline < self._wake_at:
                self._wake_at = deadline
                self._condition.notify()

    def disarm(self, connection: Watched) -> bool:
        """Stop watching `connection`; True if it was cut meanwhile (idempotent)."""
        key = id(connection)
        with self._condition:
            self._deadlines.pop(key, None)
            if key in self._cut:
                self._cut.discard(key)
                return True
            return False

    def _watch(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for key, (deadline, connection) in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[key]
                        self._cut.add(key)
                        _shut_down(connection)
                # Idle, it still wakes every IDLE_TICK_S: the next deadline armed is then later
                # than its wake-up, and arming needs no notify (no thread switch per query).
                self._wake_at = min(
                    (d for d, _ in self._deadlines.values()), default=now + IDLE_TICK_S
                )
                self._condition.wait(max(0.0, self._wake_at - now))


def _shut_down(connection: Watched) -> None:
    """Shut the socket down under libpq's feet: its wait ends with an error, at once.

    The socket stays open (libpq closes it with the connection); shutting down a duplicate
    descriptor acts on the same socket.
    """
    with contextlib.suppress(Exception):  # already closed or lost: nothing left to end
        descriptor = connection.pgconn.socket
        with socket.fromfd(descriptor, socket.AF_INET, socket.SOCK_STREAM) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()
