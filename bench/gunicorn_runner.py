"""Start a WSGI app under gunicorn with the committed gunicorn.conf.py (through
bench/gunicorn_bench.py: the access log off), on 127.0.0.1 only."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CONFIG = ROOT / "gunicorn.conf.py"
BENCH_CONFIG = ROOT / "bench" / "gunicorn_bench.py"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_settings(env: Mapping[str, str]) -> str:
    """The committed config's worker class, workers, threads and preloading under `env`."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(CONFIG))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    preload = "app preloaded" if conf.get("preload_app") else "app built in each worker"
    return (
        f"{conf['workers']} workers x {conf['threads']} threads ({conf['worker_class']}, "
        f"{preload}, recycled after {conf['max_requests']:,} requests)"
    )


@contextmanager
def serving(app_spec: str, port: int, env: Mapping[str, str]) -> Iterator[int]:
    """Run gunicorn for `app_spec` on 127.0.0.1:`port`, no access log; stop it after.

    Yields the process group of gunicorn and its workers (for bench/cpu_meter.py)."""
    command = [str(GUNICORN), "-c", str(BENCH_CONFIG), "-b", f"127.0.0.1:{port}", app_spec]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process)
        yield process.pid  # a new session: its id is the process group's
    finally:
        _stop(process)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} at start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on port {port} within {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn's whole process group: TERM, then KILL if it lingers."""
    for sig, wait_s in ((signal.SIGTERM, 25.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
