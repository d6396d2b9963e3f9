"""Purging voicemails: by age (`backline purge`, periodically), or once their subscriber is gone.

Each voicemail is purged in its own transaction: its callers and transcript are erased, its
copies elsewhere deleted, and `purged_at` is stamped only when none is known to remain. One that
fails keeps `purge_error` (what is left, and why) and comes last in the next run, so a copy that
cannot be deleted never holds up the others.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import structlog
from flask import current_app
from sqlalchemy import Select, delete, or_, select

from app.core.extensions import db
from app.core.jobs import job
from app.models import IdempotencyKey, JobState, Voicemail, utcnow
from app.resilience.pending import purge_set_aside
from app.retention.anonymise import anonymise_calls_before, anonymise_voicemail
from app.retention.copies import CopyDeleter
from app.retention.inflight import cancel_unsent, why_waiting
from app.retention.report import Outcome, PurgeReport, Result

log = structlog.get_logger(__name__)

# A periodic run stops after this many seconds and the next one goes on: a run holds the
# `periodic-slow` worker, and the other slow jobs (SMS pacing among them) must not wait long.
PERIODIC_BUDGET_S = 10.0
# Transcripts that arrived before their recording's callback wait in job_state under this
# prefix (voicemail/transcription.py); one whose recording never came would wait for ever.
EARLY_TRANSCRIPT_PREFIX = "early-transcript:"
# An API client retries a POST within minutes; a week later the same Idempotency-Key is a
# mistake or a new request, and the table must not grow for ever.
IDEMPOTENCY_KEYS_KEPT = timedelta(days=7)


def purge_expired(days: int | None = None, budget_s: float | None = None) -> PurgeReport:
    """Purge voicemails older than `days` (BACKLINE_RETENTION_DAYS) and every erasure asked for,
    and anonymise older calls; with `budget_s`, stop after about that long (see PurgeReport)."""
    days = days or current_app.config["BACKLINE_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    deadline = None if budget_s is None else time.monotonic() + budget_s
    due = _unpurged().where(
        or_(Voicemail.recorded_at < cutoff, Voicemail.purge_requested_at.is_not(None))
    )
    report = purge_voicemails(list(db.session.scalars(due)), cutoff, deadline)
    report.calls_anonymised = anonymise_calls_before(cutoff, deadline)
    db.session.execute(
        delete(JobState).where(
            JobState.name.startswith(EARLY_TRANSCRIPT_PREFIX), JobState.updated_at < cutoff
        )
    )
    db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - IDEMPOTENCY_KEYS_KEPT)
    )
    db.session.commit()
    report.set_aside_purged = purge_set_aside(cutoff)
    return report


def purge_voicemails_periodically() -> None:
    """The periodic purge, in slices of PERIODIC_BUDGET_S; raises when copies remain, so the
    failure is logged and the heartbeat goes stale."""
    report = purge_expired(budget_s=PERIODIC_BUDGET_S)
    if report.outcomes or report.calls_anonymised or report.set_aside_purged:
        log.info("retention purge", summary=report.summary())
    report.raise_if_incomplete()


@job("voicemail", timeout=900, retry_intervals=(60, 300, 900, 3600))
def erase_voicemails(voicemail_ids: list[int]) -> None:
    """Erase the voicemails of a deleted subscriber. Idempotent; raises (to be retried) while
    copies remain. Voicemails still in flight are left to the periodic purge."""
    purge_voicemails(voicemail_ids, cutoff=None).raise_if_incomplete()


def purge_voicemails(
    voicemail_ids: list[int], cutoff: datetime | None, deadline: float | None = None
) -> PurgeReport:
    """Purge each voicemail that is due: recorded before `cutoff`, or asked to be erased."""
    report = PurgeReport(cutoff)
    with CopyDeleter(current_app.config) as copies:
        for position, voicemail_id in enumerate(voicemail_ids):
            if deadline is not None and time.monotonic() > deadline:
                report.unreached = len(voicemail_ids) - position
                break
            outcome = _purge_one(voicemail_id, cutoff, copies)
            if outcome is not None:
                report.outcomes.append(outcome)
    return report


def _purge_one(voicemail_id: int, cutoff: datetime | None, copies: CopyDeleter) -> Outcome | None:
    session = db.session()
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.purged_at is not None:
        return None
    erasure = voicemail.purge_requested_at is not None
    if not erasure and (cutoff is None or voicemail.recorded_at >= cutoff):
        return None
    waiting = why_waiting(voicemail)
    if waiting and not erasure:  # its email still needs the audio, the number, the transcript
        return _outcome(voicemail, erasure, Result.WAITING, waiting)
    # An erasure deletes what it can at once, and is stamped once nothing is in flight.
    anonymise_voicemail(session, voicemail)
    left = copies.delete(voicemail)
    voicemail.purge_error = "; ".join(left) or None
    if not (left or waiting):
        _mark_purged(voicemail)
    session.commit()
    if left:
        return _outcome(voicemail, erasure, Result.FAILED, voicemail.purge_error or "")
    if waiting:
        return _outcome(voicemail, erasure, Result.WAITING, waiting)
    return _outcome(voicemail, erasure, Result.PURGED)


def _mark_purged(voicemail: Voicemail) -> None:
    voicemail.purged_at, voicemail.purge_error = utcnow(), None
    voicemail.original_key = voicemail.mp3_key = None  # listen links and resends find no audio
    cancel_unsent(db.session(), Voicemail.id == voicemail.id)  # a resend made meanwhile


def _unpurged() -> Select[Any]:
    # Those a previous run could not finish come last: one stuck copy holds up no other.
    return (
        select(Voicemail.id)
        .where(Voicemail.purged_at.is_(None))
        .order_by(Voicemail.purge_error.is_not(None), Voicemail.id)
    )


def _outcome(voicemail: Voicemail, erasure: bool, result: Result, detail: str = "") -> Outcome:
    say = log.warning if result == Result.FAILED else log.info
    say(
        f"voicemail {result}",
        voicemail_id=voicemail.id,
        recording_sid=voicemail.recording_sid,
        reason="erasure" if erasure else "age",
        detail=detail or None,
    )
    return Outcome(voicemail.id, voicemail.recording_sid, erasure, result, detail)
