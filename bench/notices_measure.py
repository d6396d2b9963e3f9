"""Measuring one notice run through Backline's job path, and the raw smtplib loop beside it."""

from __future__ import annotations

import multiprocessing
import os
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import MessageState, Notice, NoticeMessage, NoticeState
from app.outages.lifecycle import Scope, start_outage
from app.outages.notices.facts import load_facts
from app.outages.notices.text import compose_email

from .notices_rig import address

CAP_S = 300.0  # a size still sending after this is stopped and extrapolated
POLL_S = 0.25
RAW_FROM = "notices@backline.example.net"
TRACKED = ("postgres", "redis-server", "smtp-sink")  # CPU shared with whoever else runs
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSample:
    """CPU seconds so far: per tracked program, for the workers, and the machine's busy time."""

    programs: dict[str, float]
    workers: float
    busy: float
    wall: float = field(default_factory=time.perf_counter)

    def minus(self, before: CpuSample) -> CpuSample:
        # a process that exits mid-run takes its CPU with it: those figures are a floor
        programs = {k: max(0.0, v - before.programs.get(k, 0.0)) for k, v in self.programs.items()}
        return CpuSample(
            programs,
            self.workers - before.workers,
            self.busy - before.busy,
            self.wall - before.wall,
        )


@dataclass
class BacklineRun:
    """One outage's notices, from the start commit until the last message is sent."""

    size: int
    total_s: float  # start of start_outage → last sent_at
    fan_out_s: float  # → notice.fanned_out_at (every message row exists)
    sent: int
    capped: bool
    cpu: CpuSample


@dataclass
class RawRun:
    size: int
    total_s: float


def run_notices(app: Flask, size: int, worker_pids: list[int]) -> BacklineRun:
    """Start an outage affecting everyone seeded; wait until every email is `sent`."""
    cpu_before = cpu_sample(worker_pids)
    with app.app_context():
        started = datetime.now(UTC)
        session = db.session()
        start_outage(
            session,
            actor="bench",
            scope=Scope([], [], []),
            subscriber_message="A fibre cut in the north region; engineers are on site.",
        )
        session.commit()  # after_commit queues the fan-out job on Redis
        sent, capped = _wait_sent(size)
        cpu = cpu_sample(worker_pids).minus(cpu_before)
        last_sent, fanned_out = _finish_times()
    total = (last_sent - started).total_seconds() if last_sent else cpu.wall
    fan_out = (fanned_out - started).total_seconds() if fanned_out else float("nan")
    return BacklineRun(size, total, fan_out, sent, capped, cpu)


def _wait_sent(size: int) -> tuple[int, bool]:
    """Wait until the notice is done (or CAP_S passed); how many emails went, and if capped.

    The wait asks for the notice's state, one row: counting its sent messages every poll made
    PostgreSQL read them all, a tenth of a core taken from the side being measured."""
    deadline = time.perf_counter() + CAP_S
    capped = False
    while db.session.scalar(select(Notice.state)) != NoticeState.DONE:
        db.session.rollback()  # a fresh snapshot next time
        if time.perf_counter() > deadline:
            capped = True
            break
        time.sleep(POLL_S)
    sent = db.session.scalar(
        select(func.count())
        .select_from(NoticeMessage)
        .where(NoticeMessage.state == MessageState.SENT)
    )
    db.session.rollback()
    return int(sent or 0), capped or (sent or 0) < size


def _finish_times() -> tuple[datetime | None, datetime | None]:
    last_sent = db.session.scalar(select(func.max(NoticeMessage.sent_at)))
    fanned_out = db.session.scalar(select(func.max(Notice.fanned_out_at)))
    return last_sent, fanned_out


def sample_email(app: Flask) -> tuple[bytes, str]:
    """One notice email exactly as Backline renders it, and the address it went to."""
    with app.app_context():
        session = db.session()
        message = session.scalars(select(NoticeMessage).order_by(NoticeMessage.id).limit(1)).one()
        notice = session.get_one(Notice, message.notice_id)
        facts = load_facts(session, notice, set(message.subscriber_ids))
        email = compose_email(notice, message, facts)
        return email.as_bytes(policy=email.policy.clone(linesep="\r\n")), message.address


def run_raw(port: int, template: bytes, template_address: str, size: int, processes: int) -> RawRun:
    """Send `size` pre-rendered copies (one per address) from `processes` processes at once,
    each over one SMTP connection of its own: the parallelism of Backline's workers."""
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(processes + 1), context.Event()
    senders = [
        context.Process(
            target=_sender,
            args=(port, template, template_address, range(n, size, processes), ready, go),
        )
        for n in range(processes)
    ]
    for sender in senders:
        sender.start()
    ready.wait()  # every copy is rendered: only connecting and sending are timed
    started = time.perf_counter()
    go.set()
    for sender in senders:
        sender.join()
        if sender.exitcode != 0:
            raise RuntimeError(f"a baseline sender failed (exit {sender.exitcode})")
    return RawRun(size, time.perf_counter() - started)


def _sender(
    port: int, template: bytes, template_address: str, share: range, ready: Any, go: Any
) -> None:
    old = template_address.encode()
    messages = [(address(i), template.replace(old, address(i).encode())) for i in share]
    ready.wait()
    go.wait()
    client = smtplib.SMTP("127.0.0.1", port)  # connecting is part of the baseline's time
    for to, data in messages:
        client.sendmail(RAW_FROM, [to], data)
    client.quit()


def cpu_sample(worker_pids: Iterable[int]) -> CpuSample:
    """CPU seconds used so far by the workers, by each tracked program, and by the machine."""
    programs = dict.fromkeys(TRACKED, 0.0)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            comm, seconds = _proc_cpu(int(entry.name))
            if comm in programs:
                programs[comm] += seconds
    workers = sum(_proc_cpu(pid)[1] for pid in worker_pids)
    return CpuSample(programs, workers, _machine_busy())


def _proc_cpu(pid: int) -> tuple[str, float]:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            raw = stat.read()
    except OSError:
        return "", 0.0
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _machine_busy() -> float:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _TICK
