"""The processes `backline worker` forks (rq's scheduler) die with it, however it dies.

rq forks its scheduler with multiprocessing and stops it when the worker shuts down gracefully.
A worker killed with SIGKILL (or by the OOM killer, or a crash) gets no say, and the scheduler
lived on as an orphan, moving jobs for a worker that no longer exists and holding rq's scheduler
lock. So on Linux each child forked from then on asks the kernel to SIGKILL it when its parent
dies (prctl PR_SET_PDEATHSIG). SIGKILL rather than SIGTERM because rq's scheduler, blocked on a
Redis that hangs, would never get round to acting on a SIGTERM. Its lock in Redis then expires by
itself (rq gives it 61 s) and another worker's scheduler takes over.

The kernel ties the signal to the thread that forked, not the process: rq forks its scheduler
from the worker's main thread, which lives as long as the worker does. Elsewhere than Linux
nothing is arranged, as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

import structlog

log = structlog.get_logger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_forking_pid = 0  # the process forking right now, as its child sees it


def forked_children_die_with_their_parent() -> None:
    """From now on, every child this process forks is killed when its parent dies (Linux)."""
    if not sys.platform.startswith("linux"):
        log.info("forked children are not tied to the worker on this system", system=sys.platform)
        return
    os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)


def _remember_parent() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("cannot tie a forked child to its parent", errno=ctypes.get_errno())
    if os.getppid() != _forking_pid:  # the parent died before the kernel was told
        os._exit(1)
