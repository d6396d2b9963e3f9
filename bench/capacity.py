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
WORKER_CORES = 64  # the notice workers the plan assumes (32 machines of 2 cores)
PRIMARY_CORES = 16  # the PostgreSQL primary the plan assumes
PROVIDER_RATE = 10_000  # messages/s a mail provider agrees to accept (an assumption, stated)


def run(smoke: bool = False) -> str:
    """Compute the section from the latest figures (a smoke run computes it from its own)."""
    ivr, notices = figures.load("ivr_voice"), figures.load("notices")
    if ivr is None or notices is None or "cpu_ms_per_request" not in ivr:
        if smoke:
            raise RuntimeError("no /ivr/voice or notice figures to compute the capacity from")
        return f"{TITLE}\n\nNot computed: run the `/ivr/voice` and notice benchmarks first.\n"
    fanout = figures.load("fanout")
    return "\n".join(
        [TITLE, "", _calls(ivr), "", _notices(notices, fanout), "", _limits(notices), ""]
    )


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


def _notices(notices: dict[str, Any], fanout: dict[str, Any] | None) -> str:
    """Notifying SUBSCRIBERS within NOTIFY_WITHIN_S, from the measured per-message and per-row
    costs: the fleet it takes, and the ceiling that binds first."""
    if fanout is None:
        return "**Notices**: not computed: run the fan-out benchmark (`python -m bench fanout`)."
    worker_ms = notices["worker_cpu_ms_per_message"]
    pg_ms = notices["postgres_cpu_ms_per_message"]
    row_worker_ms, row_pg_ms = fanout["worker_cpu_ms_per_row"], fanout["postgres_cpu_ms_per_row"]
    # Fan-out spreads over the workers (ranges), as far as the primary keeps up with its
    # writes; sending starts when it is done.
    workers = WORKER_CORES
    fan_out_s = SUBSCRIBERS * max(row_worker_ms / workers, row_pg_ms / PRIMARY_CORES) / 1000
    send_window = NOTIFY_WITHIN_S - fan_out_s
    rate = SUBSCRIBERS / send_window if send_window > 0 else float("inf")
    send_cores = rate * worker_ms / 1000
    pg_cores = min(PRIMARY_CORES, SUBSCRIBERS * row_pg_ms / 1000 / max(fan_out_s, 1e-9))
    pg_cores = max(pg_cores, rate * pg_ms / 1000)
    ceilings = {
        f"PostgreSQL writes (a {PRIMARY_CORES}-core primary)": PRIMARY_CORES
        * 1000
        / max(pg_ms, 1e-9),
        f"the mail provider's accepted rate ({PROVIDER_RATE:,} messages/s agreed)": PROVIDER_RATE,
    }
    binding, ceiling = min(ceilings.items(), key=lambda item: item[1])
    verdict = "within" if rate <= ceiling else "not within"
    return (
        f"**Notifying {SUBSCRIBERS:,} subscribers within {NOTIFY_WITHIN_S // 60} minutes**"
        f" (computed from the latest notice run at {notices['subscribers']:,} subscribers and"
        f" fan-out run at {fanout['subscribers']:,}). Fan-out costs {row_worker_ms:.3f} ms of"
        f" worker CPU and {row_pg_ms:.3f} ms of PostgreSQL CPU per row and is split over the"
        f" workers, so {workers} worker cores and a {PRIMARY_CORES}-core primary write every row"
        f" in {fan_out_s:.0f} s; the rest of"
        f" the {NOTIFY_WITHIN_S // 60} minutes leaves {max(send_window, 0):.0f} s to send, or"
        f" {rate:,.0f} emails a second. A message costs {worker_ms:.3f} ms of worker CPU and"
        f" {pg_ms:.3f} ms of PostgreSQL CPU, so the send needs about {send_cores:.0f} worker"
        f" cores ({_machines(send_cores)} machines of {MACHINE_CORES} cores) and PostgreSQL"
        f" about {pg_cores:.1f} cores at its busiest. The ceiling that binds first is"
        f" **{binding}**: about {ceiling:,.0f} messages a second, so the target is {verdict}"
        " reach on that ceiling. Workers scale out; neither ceiling does by adding workers."
    )


def _limits(notices: dict[str, Any]) -> str:
    return (
        "**Where the limits move** (analysis written 2026-12-07 on branch `notices`, not"
        " recomputed by the run). PostgreSQL first among Backline's own parts: every message is"
        " a row inserted at fan-out and updated twice (claimed, sent), all on one primary;"
        " read replicas do not help, the work is writes. Redis stays small (queues, locks,"
        " rate-limit counters). The mail provider is the real ceiling: few accept tens of"
        " thousands of messages a second from one sender (SES accounts start at 14 a second and"
        " are raised on request; relays throttle new senders), so the 5-minute target is an"
        " agreement with the provider, made before the outage, and the workers simply retry"
        " what it defers. SMS goes at the senders' rate (BACKLINE_SMS_RATE), by design."
    )
