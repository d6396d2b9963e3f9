"""Outgrowing one machine: the fleet a large provider needs, computed from the measured costs.

Nothing is measured here. The figures come from the latest `/ivr/voice` and notice runs
(bench/results/*.json), so the plan moves whenever those costs do. The costs are upper bounds:
on the benchmark machine the load generator, PostgreSQL and the sink share the same cores.
"""

from __future__ import annotations

import math
from typing import Any

from . import figures

TITLE = "## Outgrowing one machine"
SUBSCRIBERS = 10_000_000
NOTIFY_WITHIN_S = 5 * 60
CALLS_PER_S = 1_000
WEBHOOKS_PER_CALL = 4  # /ivr/voice, a menu key or the recording, its callback, the status
MACHINE_CORES = 2  # the size of machine every figure below is counted in
HEADROOM = 0.7  # plan machines at 70 % busy: bursts, deploys and a lost machine


def run(smoke: bool = False) -> str:
    """Compute the section from the latest figures (a smoke run computes it from its own)."""
    ivr, notices = figures.load("ivr_voice"), figures.load("notices")
    if ivr is None or notices is None or "cpu_ms_per_request" not in ivr:
        if smoke:
            raise RuntimeError("no /ivr/voice or notice figures to compute the capacity from")
        return f"{TITLE}\n\nNot computed: run the `/ivr/voice` and notice benchmarks first.\n"
    return "\n".join([TITLE, "", _calls(ivr), "", _notices(notices), "", _limits(notices), ""])


def _machines(cores: float) -> int:
    return math.ceil(cores / (MACHINE_CORES * HEADROOM))


def _calls(ivr: dict[str, Any]) -> str:
    requests = CALLS_PER_S * WEBHOOKS_PER_CALL
    cpu = ivr["cpu_ms_per_request"]
    web_cores = requests * cpu["web"] / 1000
    pg_cores = requests * cpu["postgres"] / 1000
    return (
        f"**A burst of {CALLS_PER_S:,} calls a second.** Each call makes about"
        f" {WEBHOOKS_PER_CALL} webhooks over its life, so {requests:,} requests/s. One"
        f" `/ivr/voice` costs {cpu['web']:.2f} ms of CPU in the web processes and"
        f" {cpu['postgres']:.2f} ms in PostgreSQL (measured under load here, so cache"
        " misses and the load generator's share included), so the burst needs about"
        f" {web_cores:.0f} cores of web processes: {_machines(web_cores)} machines of"
        f" {MACHINE_CORES} cores at {HEADROOM:.0%} busy, each running gunicorn with the"
        " committed settings (2 workers per core, 4 threads each) behind a load balancer."
        f" PostgreSQL then takes {requests:,} single-statement commits a second (one upsert"
        f" per webhook, group-committed), about {pg_cores:.1f} cores of CPU: one"
        " well-provisioned primary with fast storage for the WAL. Every web thread holds up"
        " to two connections, so count them (docs/operations.md, section 5) and put a pooler"
        " in session mode in front if they exceed `max_connections`."
    )


def _notices(notices: dict[str, float]) -> str:
    rate = SUBSCRIBERS / NOTIFY_WITHIN_S
    worker_ms = notices["worker_cpu_ms_per_message"]
    pg_ms = notices["postgres_cpu_ms_per_message"]
    worker_cores = rate * worker_ms / 1000
    pg_cores = rate * pg_ms / 1000
    fan_out_per_s = notices["subscribers"] / notices["fan_out_s"]
    fan_out_s = SUBSCRIBERS / fan_out_per_s
    return (
        f"**Notifying {SUBSCRIBERS:,} subscribers within {NOTIFY_WITHIN_S // 60} minutes** means"
        f" {rate:,.0f} emails a second. A message costs {worker_ms:.2f} ms of worker CPU and"
        f" {pg_ms:.2f} ms of PostgreSQL CPU (measured at {notices['subscribers']:,}), so the"
        f" send needs about {worker_cores:.0f} cores of `backline worker` processes (one per"
        f" core: {_machines(worker_cores)} machines of {MACHINE_CORES} cores) and about"
        f" {pg_cores:.0f} cores of PostgreSQL. Redis carries one job per"
        f" BACKLINE_NOTICE_BATCH (500) messages, {rate / 500:,.0f} jobs a second: nothing."
        f" Fan-out is the catch: one job writes a notice's message rows, at"
        f" {fan_out_per_s:,.0f} subscribers a second here, so {SUBSCRIBERS:,} take about"
        f" {fan_out_s / 60:.0f} minutes before the first email leaves"
        + (
            " — longer than the whole target. Meeting it needs fan-out split by subscriber-id"
            " range across workers (not built yet)."
            if fan_out_s > NOTIFY_WITHIN_S / 2
            else "."
        )
    )


def _limits(notices: dict[str, float]) -> str:
    rate = SUBSCRIBERS / NOTIFY_WITHIN_S
    return (
        "**Where the limits move.** PostgreSQL first: every message is a row inserted at"
        " fan-out and updated twice (claimed, sent), about"
        f" {3 * rate:,.0f} row writes a second at that rate, which needs a primary with fast"
        " storage and the `notice_messages` table kept out of long transactions; read replicas"
        " do not help, the work is writes. Redis stays small (queues, locks, rate-limit"
        " counters). The mail provider is the real ceiling: few accept"
        f" {rate:,.0f} messages a second from one sender (SES accounts start at 14 a second"
        " and are raised on request; relays throttle new senders), so the 5-minute target is"
        " an agreement with the provider, made before the outage, and the workers simply"
        " retry what it defers. SMS goes at the senders' rate (BACKLINE_SMS_RATE), by design."
    )
