"""The explanations of the `/ivr/voice` section, computed from the run that measured it:
where Backline's web CPU goes next to the same-work baseline's (py-spy), and why its tail is
longer than its throughput alone would make it."""

from __future__ import annotations

import statistics

from .ivr_measurement import Measurement
from .ivr_sides import BACKLINE, SAME_WORK
from .profile import CATEGORIES, NATIVE, OTHER, RATE_HZ
from .wrk import CONNECTIONS

LARGEST = 3  # the differences named in the sentence under the profile table


def profile_lines(m: Measurement) -> list[str]:
    """A table of web CPU per request by library, both sides, and the largest differences."""
    if m.profiles is None:
        return ["Not profiled: py-spy is not installed (`pip install py-spy`, a dev dependency)."]
    costs = {name: _ms_by_category(m, name) for name in (BACKLINE.name, SAME_WORK.name)}
    ours, theirs = costs[BACKLINE.name], costs[SAME_WORK.name]
    labels = [label for label, _ in CATEGORIES] + [NATIVE, OTHER]
    labels.sort(key=lambda label: ours[label] - theirs[label], reverse=True)
    extra = sum(ours.values()) - sum(theirs.values())
    named = ", ".join(
        f"{label} (+{ours[label] - theirs[label]:.2f} ms)"
        for label in labels[:LARGEST]
        if ours[label] > theirs[label]
    )
    samples = {name: m.profiles[name][1].samples for name in costs}
    return [
        f"**Where the web processes' CPU goes** (py-spy at {RATE_HZ} Hz on one more run of each, "
        f"sampling the thread holding the GIL: {samples[BACKLINE.name]:,} samples of Backline, "
        f"{samples[SAME_WORK.name]:,} of the baseline; each sample charged to the innermost "
        "library or app frame, shares scaled by the web CPU /proc measured over that run):",
        "",
        "| where | Backline, ms/request | same-work, ms/request | difference |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {ours[label]:.3f} | {theirs[label]:.3f} "
            f"| {ours[label] - theirs[label]:+.3f} |"
            for label in labels
        ),
        f"| **total** | **{sum(ours.values()):.3f}** | **{sum(theirs.values()):.3f}** "
        f"| **{extra:+.3f}** |",
        "",
        f"Backline's web processes spent {extra:+.2f} ms per request beyond the baseline's in "
        f"this run; the largest differences: {named or 'none'}.",
    ]


def _ms_by_category(m: Measurement, name: str) -> dict[str, float]:
    assert m.profiles is not None
    run, profile = m.profiles[name]
    labels = [label for label, _ in CATEGORIES] + [NATIVE, OTHER]
    return {label: profile.share(label) * run.cpu.server for label in labels}


def tail_lines(m: Measurement) -> list[str]:
    """Latency percentiles of both sides, and what the run says about the difference."""
    lines = [
        "**The tail** (medians over the measured runs):",
        "",
        "| server | p50 | p90 | p99 | max | p99 / p50 | mean wait, Little's law | workers replaced (at least) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in m.runs:
        lines.append(_tail_row(m, name))
    return [*lines, "", _tail_sentence(m), "", ANALYSIS, "", INSTRUCTIONS]


def _tail_row(m: Measurement, name: str) -> str:
    runs = m.runs[name]
    p = {f: statistics.median(getattr(r.result, f) for r in runs) for f in _PERCENTILES}
    replaced = sum(run.replaced for run in runs)
    return (
        f"| {name} | {p['p50_ms']:.1f} ms | {p['p90_ms']:.1f} ms | {p['p99_ms']:.1f} ms "
        f"| {p['max_ms']:.0f} ms | {p['p99_ms'] / p['p50_ms']:.1f} "
        f"| {1000 * CONNECTIONS / m.median_rate(name):.1f} ms | {replaced} |"
    )


_PERCENTILES = ("p50_ms", "p90_ms", "p99_ms", "max_ms")


def _tail_sentence(m: Measurement) -> str:
    ours, theirs = m.runs[BACKLINE.name], m.runs[SAME_WORK.name]
    spread = [
        statistics.median(r.result.p99_ms / r.result.p50_ms for r in runs)
        for runs in (ours, theirs)
    ]
    p50 = m.ratios(lambda run: run.result.p50_ms)
    p99 = m.ratios(lambda run: run.result.p99_ms)
    builds = m.builds
    replaced = sum(run.replaced for run in ours)
    rebuilt = (
        "a fork of the arbiter, which built the app once"
        if "preloaded" in m.workers
        else ("a fresh process that builds the app again")
    )
    return (
        f"With {CONNECTIONS} connections always busy, the mean wait is the connections over the "
        "throughput (Little's law), so a lower throughput alone makes every percentile longer "
        f"by the same factor: Backline's p50 is {statistics.median(p50):.2f}x the baseline's "
        f"here. Its p99 is {statistics.median(p99):.2f}x, and its p99 is {spread[0]:.1f} times "
        f"its own p50 against the baseline's {spread[1]:.1f}: a request's time varies "
        f"{'more' if spread[0] > spread[1] else 'no more'} than the baseline's. "
        f"Building the app costs {builds[BACKLINE.name]:.2f} CPU-s in a fresh process for "
        f"Backline and {builds[SAME_WORK.name]:.2f} CPU-s for the baseline; gunicorn replaced at "
        f"least {replaced} Backline workers during the measured runs (`max_requests`), each "
        f"{rebuilt}."
    )


ANALYSIS = (
    "*Analysis written on 2026-12-07 at commit 869ebd8 (issue #17), not recomputed by the "
    "run:* at `max_requests = 5000` gunicorn replaced each loaded Backline worker every few "
    "seconds. py-spy with `--native` on those workers put about 15% of the samples holding "
    "the GIL in `gc_collect_main` with no Python frame above it, most likely an exiting "
    "worker's interpreter tearing its heap down, while its successor reconnected and reloaded "
    "its snapshot. Raising `max_requests` to 50,000 took Backline from about 900 to about "
    "1,300 requests/s in three 10 s runs on this machine and its p99 from 48-80 ms to "
    "24-29 ms; freezing the preloaded app (`gc.freeze()`) alone helped much less, mostly the tail. What "
    "remains is spread thin: no function of Backline's own holds more than 1% of the samples; "
    "Flask's request hooks, the call log line and the call path's own waits (the snapshot's "
    "version check in Redis, the call row's foreign-key locks) make up the rest."
)

INSTRUCTIONS = (
    "*Analysis written on 2026-12-08 at commit 56b8646 (issue #17), not recomputed by the "
    "run:* callgrind (`--instr-atstart=no`, switched on after a warm-up) counted the "
    "instructions of 1,000 `/ivr/voice` requests in one process, the WSGI app called directly "
    "with signed forms against this PostgreSQL (no gunicorn, no other thread): Backline 1.85 "
    "million per request at commit 951f5be and 1.80 million at 56b8646, the same-work baseline "
    "1.45 million (on 2026-12-07 a harness of 300 requests counted 2.38 million at d211134 and "
    "2.04 million at 27dd3a4). The latest cut: Flask's check of whether each view and hook is "
    "async made once per function instead of eight times a request, and one JSON encoder for "
    "every log line. The rest of the difference, by py-spy on the same harness: the call row's "
    "pooled connection checked out, switched to autocommit and returned through SQLAlchemy's "
    "pool (about a tenth of a request), the call's log line (a tenth), Flask's hooks for every "
    "request (security headers, body limit, session) and finding the subscriber and outage in "
    "the snapshot."
)
