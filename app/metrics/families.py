"""The metric families /metrics exposes, built from one scrape's figures."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from app.metrics.figures import QUANTILES, DatabaseFigures, quantile
from app.metrics.queues import RedisFigures, latest_heartbeats
from app.models import DeliveryState, VoicemailStatus


@dataclass(frozen=True)
class Scrape:
    """What one scrape could read; None where a dependency did not answer (or is not used)."""

    database: DatabaseFigures | None
    redis_used: bool
    redis: RedisFigures | None
    stored_pending: int | None  # call records kept in storage for the database
    in_process_jobs: dict[tuple[str, str], int] | None  # the embedded defaults' job thread
    memory_heartbeats: dict[str, str]
    intervals: dict[str, float]  # each periodic job's, from the app's table


def families(scrape: Scrape) -> Iterator[Metric]:
    yield _up(scrape)
    if scrape.database is not None:
        yield from _database_families(scrape.database)
    yield from _queue_families(scrape)
    yield from _heartbeat_families(scrape)


def _up(scrape: Scrape) -> Metric:
    family = GaugeMetricFamily(
        "backline_dependency_up",
        "Whether the dependency answered this scrape (1) or not (0).",
        labels=["dependency"],
    )
    family.add_metric(["database"], int(scrape.database is not None))
    if scrape.redis_used:
        family.add_metric(["redis"], int(scrape.redis is not None))
    family.add_metric(["storage"], int(scrape.stored_pending is not None))
    return family


def _database_families(figures: DatabaseFigures) -> Iterator[Metric]:
    yield CounterMetricFamily(
        "backline_calls",
        "Calls that reached Backline.",
        value=sum(figures.calls_by_outcome.values()),
    )
    # A gauge, not a counter: a call's outcome changes while it goes on (ivr, then voicemail).
    by_outcome = GaugeMetricFamily(
        "backline_calls_by_outcome",
        "Calls that reached Backline, by what it has done with them so far.",
        labels=["outcome"],
    )
    for outcome, count in sorted(figures.calls_by_outcome.items()):
        by_outcome.add_metric([outcome], count)
    yield by_outcome
    own = CounterMetricFamily(
        "backline_own_webhook_failures",
        "Calls that reached the Fallback URL because Backline's own webhook failed, by Twilio's"
        " ErrorCode (never evidence against the primary).",
        labels=["error_code"],
    )
    for code, count in sorted(figures.own_webhook_failures.items()):
        own.add_metric([code], count)
    yield own
    yield _by_label(
        GaugeMetricFamily("backline_voicemails", "Voicemails by status.", labels=["status"]),
        VoicemailStatus,
        figures.voicemails_by_status,
    )
    yield _by_label(
        GaugeMetricFamily(
            "backline_deliveries", "Voicemail emails by delivery state.", labels=["state"]
        ),
        DeliveryState,
        figures.deliveries_by_state,
    )
    yield GaugeMetricFamily(
        "backline_voicemail_oldest_unprocessed_age_seconds",
        "Age of the oldest voicemail not yet fetched and stored (0: none waiting).",
        value=figures.oldest_unprocessed_voicemail_s,
    )
    yield GaugeMetricFamily(
        "backline_delivery_oldest_waiting_age_seconds",
        "Age of the oldest voicemail email pending or being sent (0: none waiting).",
        value=figures.oldest_waiting_delivery_s,
    )
    yield from _latency_families(figures.latencies)


def _by_label(
    family: GaugeMetricFamily, known: type[enum.StrEnum], counts: dict[str, int]
) -> Metric:
    """One sample per known value (0 when there is none), and any other value found."""
    for value in sorted({*(member.value for member in known), *counts}):
        family.add_metric([value], counts.get(value, 0))
    return family


def _latency_families(latencies: dict[str, list[float]]) -> Iterator[Metric]:
    seconds = GaugeMetricFamily(
        "backline_voicemail_latency_seconds",
        "Seconds from the recording to a stage (stored, first email accepted): quantiles over"
        " the voicemails that reached it within the last hour.",
        labels=["stage", "quantile"],
    )
    samples = GaugeMetricFamily(
        "backline_voicemail_latency_samples",
        "How many voicemails the latency quantiles are taken over.",
        labels=["stage"],
    )
    for stage, values in sorted(latencies.items()):
        samples.add_metric([stage], len(values))
        for q in QUANTILES if values else ():
            seconds.add_metric([stage, f"{q:g}"], quantile(values, q))
    yield seconds
    yield samples


def _queue_families(scrape: Scrape) -> Iterator[Metric]:
    jobs = GaugeMetricFamily(
        "backline_queue_jobs",
        "Jobs by queue and state: rq's queues, or this process's job thread (queue in-process).",
        labels=["queue", "state"],
    )
    depths = scrape.in_process_jobs
    if depths is None:
        depths = scrape.redis.jobs if scrape.redis else {}
    for (queue, state), count in sorted(depths.items()):
        jobs.add_metric([queue, state], count)
    yield jobs
    pending = GaugeMetricFamily(
        "backline_pending_entries",
        "Call records kept while the database was unavailable, waiting to be written.",
        labels=["store"],
    )
    if scrape.redis is not None:
        pending.add_metric(["redis"], scrape.redis.pending_entries)
    if scrape.stored_pending is not None:
        pending.add_metric(["storage"], scrape.stored_pending)
    yield pending


def _heartbeat_families(scrape: Scrape) -> Iterator[Metric]:
    shared = scrape.redis.heartbeats if scrape.redis else {}
    last = GaugeMetricFamily(
        "backline_periodic_job_last_success_timestamp_seconds",
        "When each periodic job last ran without error (Unix time).",
        labels=["task"],  # not "job": Prometheus gives every target a job label
    )
    for job, when in sorted(latest_heartbeats(shared, scrape.memory_heartbeats).items()):
        last.add_metric([job], when)
    yield last
    interval = GaugeMetricFamily(
        "backline_periodic_job_interval_seconds",
        "How often each periodic job is meant to run.",
        labels=["task"],
    )
    for name, every_s in scrape.intervals.items():
        interval.add_metric([name], every_s)
    yield interval
