"""The Markdown section for the `/ivr/voice` benchmark."""

from __future__ import annotations

from dataclasses import dataclass

from .wrk import CONNECTIONS, THREADS, WrkResult

TITLE = "## 1. `/ivr/voice` during an outage"
MIN_THROUGHPUT_RATIO = 0.7
MAX_P99_RATIO = 2.0


@dataclass(frozen=True)
class Measured:
    """Backline's wrk figures with the call rows it committed during the measured run."""

    result: WrkResult
    rows: int
    distinct_requests: int

    @property
    def valid(self) -> bool:
        """Clean answers, no CallSid sent twice, and a committed row for every answer."""
        return self.result.clean and not self.result.wraps and self.rows >= self.result.requests


def missing_wrk_section() -> str:
    return f"{TITLE}\n\nNot measured: `wrk` is not installed (`apt-get install wrk`).\n"


def report_section(
    backline: Measured, baseline: WrkResult, workers: str, load_before: float
) -> str:
    """The section: setup, figures, ratios against the targets, and what limits them."""
    ours = backline.result
    throughput = ours.per_second / baseline.per_second
    p99 = ours.p99_ms / baseline.p99_ms
    return "\n".join(
        [
            TITLE,
            "",
            _setup(workers, load_before),
            "",
            "| server | requests/s | p50 | p99 |",
            "| --- | ---: | ---: | ---: |",
            _row("Backline `/ivr/voice`", ours),
            _row("bare Flask, fixed TwiML (baseline)", baseline),
            f"| **ratio** | **{throughput:.2f}x** | {ours.p50_ms / baseline.p50_ms:.2f}x "
            f"| **{p99:.2f}x** |",
            "",
            f"- Throughput: {throughput:.2f}x the baseline; target ≥ {MIN_THROUGHPUT_RATIO}x: "
            f"**{_verdict(throughput >= MIN_THROUGHPUT_RATIO)}**.",
            f"- p99: {p99:.2f}x the baseline's; target ≤ {MAX_P99_RATIO:g}x: "
            f"**{_verdict(p99 <= MAX_P99_RATIO)}**.",
            f"- Checks: {_checks(backline, baseline)}",
            "",
            LIMITS,
        ]
    )


def _setup(workers: str, load_before: float) -> str:
    return (
        "A subscriber's number called during an active admin outage: production settings, "
        "X-Twilio-Signature checked against `BACKLINE_PUBLIC_URL`, subscriber and outage read "
        "through the snapshot cache, and one call row committed to PostgreSQL per request (each "
        "request carries its own CallSid, so each is an insert). Baseline: a bare Flask app "
        "(`bench/bare_app.py`) answering `POST /ivr/voice` with fixed TwiML. Both under gunicorn "
        f"with the committed `gunicorn.conf.py` ({workers}, access log off) on 127.0.0.1, one "
        f"after the other, each warmed up first, then loaded by wrk for the same time with "
        f"{THREADS} threads and {CONNECTIONS} keep-alive connections, replaying the same "
        "pre-signed Twilio form (17 fields). Load average before the run: "
        f"{load_before:.1f} (other work on the machine skews both figures)."
    )


def _row(name: str, result: WrkResult) -> str:
    return (
        f"| {name} | {result.per_second:,.0f} | {result.p50_ms:.1f} ms | {result.p99_ms:.1f} ms |"
    )


def _verdict(met: bool) -> str:
    return "PASS" if met else "FAIL"


def _checks(backline: Measured, baseline: WrkResult) -> str:
    ours = backline.result
    problems = [
        f"{ours.status_errors} non-2xx answers" if ours.status_errors else "",
        f"{ours.socket_errors} socket errors, {ours.timeouts} timeouts"
        if ours.socket_errors or ours.timeouts
        else "",
        f"{ours.wraps} CallSid repeats" if ours.wraps else "",
        f"only {backline.rows:,} call rows for {ours.requests:,} answers"
        if backline.rows < ours.requests
        else "",
        "" if baseline.clean else "the baseline had errors",
    ]
    found = [problem for problem in problems if problem]
    if found:
        return "**INVALID RUN**: " + "; ".join(found) + "."
    return (
        f"{ours.requests:,} answers, all 2xx, {backline.rows:,} call rows committed (requests "
        f"in flight when wrk stopped add a few), no CallSid sent twice "
        f"({backline.distinct_requests:,} distinct ones prepared)."
    )


LIMITS = """**What limits this figure.** Waiting, not Python's CPU. The call row is now one
autocommitted `INSERT … ON CONFLICT (call_sid) DO UPDATE` with no pre-ping (one round trip
instead of four), and in-process the whole request costs about 1 ms of CPU (the write 0.3 ms,
the signature check, the snapshot lookup, the TwiML and one JSON log line the rest), which
would allow several times this throughput. Under gunicorn the same request takes about 10 ms even
alone on one keep-alive connection (the bare app: 0.5 ms), and a py-spy profile of that worker
puts most of the time in psycopg waiting for PostgreSQL's answer to that single statement, and
some in writing the response; the gunicorn workers are mostly idle under load. So the next
step is to find where a request thread waits (scheduling next to the busy load generator,
PostgreSQL's backend wake-up, or gthread's hand-off between its poller and worker threads),
not to shave more CPU. wrk's keep-alive connections also spread unevenly over the workers, and
the load generator, PostgreSQL and both servers share this machine's CPUs."""
