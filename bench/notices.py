"""Outage email notices to N subscribers through the real job path, against a raw smtplib loop.

Backline: `start_outage` commits, the fan-out job (rq, Redis) writes one message row per
address in PostgreSQL and queues send jobs, and two `backline worker` processes send them to
Postfix's `smtp-sink`; the clock stops at the last message's `sent_at`. Baseline: one smtplib
connection sending the same number of pre-rendered messages, each the size of Backline's, to the
same sink. `BENCH_NOTICES_SIZES=1000,10000` runs fewer sizes.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

from . import figures
from .notices_measure import (
    CAP_S,
    BacklineRun,
    CpuSample,
    RawRun,
    run_notices,
    run_raw,
    sample_email,
)
from .notices_rig import bench_app, find_smtp_sink, reset, rig, seed, workers

SIZES = (1_000, 10_000, 100_000)
WORKERS = 2
TARGET_SIZE, TARGET_S, TARGET_RATIO = 100_000, 60.0, 1.5
TITLE = "## Outage email notices (real job path → smtp-sink)\n"


@dataclass
class Row:
    backline: BacklineRun
    raw: RawRun
    load: float  # 1-minute load average just before the run

    @property
    def projected_s(self) -> float:
        """The full size's time; a capped run is extrapolated at its sending rate."""
        run = self.backline
        if not run.capped or run.sent == 0:
            return run.total_s
        return run.fan_out_s + (run.total_s - run.fan_out_s) * run.size / run.sent

    @property
    def ratio(self) -> float:
        return self.projected_s / self.raw.total_s


def run() -> str:
    """Measure every size and return the report section."""
    sink = find_smtp_sink()
    if sink is None:
        return (
            TITLE
            + "\nNot run: Postfix's `smtp-sink` is not installed (`apt-get install postfix`).\n"
        )
    rows: list[Row] = []
    email_bytes = 0
    with rig(sink) as setup:
        app = bench_app(setup.settings)
        template: tuple[bytes, str] | None = None
        for size in _sizes():
            reset(app)
            seed(app, size)
            load = os.getloadavg()[0]
            with workers(setup.settings, WORKERS, setup.workdir) as pids:
                backline = run_notices(app, size, pids)
            template = template or sample_email(app)
            email_bytes = len(template[0])
            rows.append(Row(backline, run_raw(setup.port, *template, size), load))
            print(f"    {size:>7}: {backline.total_s:.1f} s, raw {rows[-1].raw.total_s:.1f} s")
    _save_figures(rows[-1])
    return report(rows, email_bytes)


def _save_figures(largest: Row) -> None:
    run = largest.backline
    figures.save(
        "notices",
        subscribers=run.size,
        total_s=run.total_s,
        fan_out_s=run.fan_out_s,
        worker_cpu_ms_per_message=run.cpu.workers * 1000 / run.size,
        postgres_cpu_ms_per_message=run.cpu.programs["postgres"] * 1000 / run.size,
        workers=WORKERS,
    )


def _sizes() -> list[int]:
    chosen = os.environ.get("BENCH_NOTICES_SIZES")
    return [int(s) for s in chosen.split(",")] if chosen else list(SIZES)


def report(rows: list[Row], email_bytes: int) -> str:
    """The Markdown section: figures, ratios, targets, growth, CPU and what limits the figure."""
    parts = [TITLE, _setup_text(email_bytes), _figures(rows), _targets(rows), _growth(rows)]
    parts += [_cpu(rows), _limits(rows)]
    return "\n".join(parts)


def _setup_text(email_bytes: int) -> str:
    return (
        f"Each subscriber has one email address and no backup mobile (SMS goes at the senders'"
        f" rate, reported separately and not raced). {WORKERS} `backline worker` processes"
        f" (production settings, JSON logs to /dev/null) send to Postfix's `smtp-sink` on"
        f" 127.0.0.1; PostgreSQL and Redis are local. The baseline is one `smtplib` connection"
        f" sending pre-rendered messages of Backline's size ({email_bytes:,} bytes, text and HTML)"
        f" to the same sink. Backline's time runs from `start_outage` to the last `sent_at`.\n"
    )


def _figures(rows: list[Row]) -> str:
    lines = [
        "| Subscribers | Backline | per message | fan-out done at | raw smtplib loop | per message | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        run, raw = row.backline, row.raw
        capped = f" (capped at {run.sent:,} sent; projected)" if run.capped else ""
        lines.append(
            f"| {run.size:,} | {row.projected_s:.2f} s{capped} | {_ms(row.projected_s, run.size)}"
            f" | {run.fan_out_s:.2f} s | {raw.total_s:.2f} s | {_ms(raw.total_s, raw.size)}"
            f" | {row.ratio:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def _targets(rows: list[Row]) -> str:
    target = next((r for r in rows if r.backline.size == TARGET_SIZE), None)
    if target is None:
        return f"Targets: not judged ({TARGET_SIZE:,} subscribers not run).\n"
    within = target.projected_s <= TARGET_S
    close = target.ratio <= TARGET_RATIO
    capped = " (projected from a capped run)" if target.backline.capped else ""
    return (
        f"Targets at {TARGET_SIZE:,} subscribers{capped}:\n"
        f"- ≤ {TARGET_S:.0f} s: **{'PASS' if within else 'FAIL'}** ({target.projected_s:.1f} s)\n"
        f"- ≤ {TARGET_RATIO}x the raw loop: **{'PASS' if close else 'FAIL'}**"
        f" ({target.ratio:.2f}x)\n" + _sink_bound(target)
    )


def _sink_bound(target: Row) -> str:
    """Say so when the sink itself cannot take the messages within the time target."""
    if target.raw.total_s <= TARGET_S:
        return ""
    return (
        f"\nOn this machine the raw loop alone needs {target.raw.total_s:.1f} s for"
        f" {TARGET_SIZE:,} pre-rendered messages: the sink and the SMTP dialogue on one"
        f" connection take longer than the {TARGET_S:.0f} s target before Backline does any"
        " work, so the ratio is the figure that says how much Backline adds.\n"
    )


def _growth(rows: list[Row]) -> str:
    steps = [
        f"{a.backline.size:,} → {b.backline.size:,}: x{b.projected_s / a.projected_s:.1f} time"
        f" for x{b.backline.size / a.backline.size:.0f} subscribers"
        f" (raw loop x{b.raw.total_s / a.raw.total_s:.1f})"
        for a, b in itertools.pairwise(rows)
    ]
    return "Growth: " + ("; ".join(steps) or "one size only") + ".\n"


def _cpu(rows: list[Row]) -> str:
    lines = [
        "CPU during Backline's run (seconds; PostgreSQL and Redis include any other benchmark"
        " running at the same time, and miss processes that exited during the run):\n",
        "| Subscribers | wall | workers (ms/message) | PostgreSQL | Redis | smtp-sink"
        " | everything else | machine busy | load before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cpu, size = row.backline.cpu, max(1, row.backline.sent)
        busy = 100 * cpu.busy / (cpu.wall * _cores())
        lines.append(
            f"| {row.backline.size:,} | {cpu.wall:.1f} | {cpu.workers:.1f} ({_ms(cpu.workers, size)})"
            f" | {cpu.programs['postgres']:.1f} | {cpu.programs['redis-server']:.1f}"
            f" | {cpu.programs['smtp-sink']:.1f} | {_others(cpu):.1f}"
            f" | {busy:.0f} % of {_cores()} cores | {row.load:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _limits(rows: list[Row]) -> str:
    last = rows[-1]
    cpu, sent = last.backline.cpu, max(1, last.backline.sent)
    per_message = cpu.workers / sent
    floor = per_message * last.backline.size / WORKERS
    raw_per_message = last.raw.total_s / last.raw.size
    capped = (
        f" The run was capped after {CAP_S:.0f} s and projected." if last.backline.capped else ""
    )
    return (
        f"What limits this figure: the workers' CPU. Each message costs"
        f" {1000 * per_message:.2f} ms of worker CPU ({per_message / raw_per_message:.0f}x the"
        f" raw loop's {1000 * raw_per_message:.2f} ms of wall time per message), so"
        f" {last.backline.size:,} messages need at least {floor:.0f} s on {WORKERS} workers even"
        f" with both cores to themselves. Per message that CPU is, in falling order: the"
        f" SMTP dialogue through smtplib (MAIL, RCPT, DATA and their replies), the two"
        f" templates and their values (the signed status and unsubscribe links, each number"
        f" formatted), the MIME assembly (compat32 classes, binascii quoted-printable, headers"
        f" written as built), and the batch's claim and commit. Sending starts only once"
        f" fan-out has written every message row (one pipelined INSERT … ON CONFLICT per chunk),"
        f" and fan-out took {last.backline.fan_out_s:.1f} s of the"
        f" {last.backline.total_s:.1f} s, with PostgreSQL using"
        f" {cpu.programs['postgres']:.1f} s of CPU over the whole run. Redis"
        f" ({cpu.programs['redis-server']:.1f} s) and the sink"
        f" ({cpu.programs['smtp-sink']:.1f} s) are small. CPU in the 'everything else' column is"
        f" other work on the machine (other benchmarks running at the same time), which takes"
        f" cores from the workers and lengthens Backline's figure; the raw loop, run after it,"
        f" is less exposed.{capped}\n"
    )


def _others(cpu: CpuSample) -> float:
    """Busy CPU not spent by the workers, PostgreSQL, Redis or the sink: other benchmarks."""
    return max(0.0, cpu.busy - cpu.workers - sum(cpu.programs.values()))


def _ms(seconds: float, count: int) -> str:
    return f"{1000 * seconds / max(1, count):.2f} ms"


def _cores() -> int:
    return len(os.sched_getaffinity(0))
