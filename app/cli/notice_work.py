"""Notices caused by a CLI command: queued for the workers, or sent here before returning.

With REDIS_URL set the commit queues them and `backline worker` does the work. On the embedded
defaults nothing else may be running, so the command sends them itself, with a progress bar on
a terminal (plain lines otherwise), and SMS at the sender's rate.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from app.core.extensions import db, jobs
from app.core.jobs import ThreadBackend
from app.models import Notice, NoticeState
from app.outages.notices.progress import outage_progress
from app.outages.notices.sms import drain_sms, sms_rate

WAIT_FOR_EMAILS_S = 3600.0


def deliver_here(outage_id: int) -> None:
    """Send the outage's released notices now unless a worker will (REDIS_URL set)."""
    if not isinstance(jobs.backend, ThreadBackend):
        if _released(outage_id):
            click.echo("Notices queued for the workers; `backline outage progress` follows them.")
        return
    if not _released(outage_id):
        return
    click.echo("Sending notices…")
    if not jobs.wait_idle(WAIT_FOR_EMAILS_S):
        raise click.ClickException("Notices are still being sent after an hour; check the log.")
    for notice in _released(outage_id):
        _send_sms(notice)
    for line in describe_progress(outage_id):
        click.echo(line)


def _released(outage_id: int) -> list[Notice]:
    db.session.expire_all()
    query = select(Notice).where(
        Notice.outage_id == outage_id,
        Notice.state.in_([NoticeState.QUEUED, NoticeState.SENDING]),
    )
    return list(db.session.scalars(query))


def _send_sms(notice: Notice) -> None:
    pending = _pending_sms(notice)
    if not pending:
        return
    click.echo(f"{pending} SMS to send at {sms_rate()} a second (the sender's rate)…")
    if sys.stdout.isatty():
        with click.progressbar(length=pending, label="SMS") as bar:
            drain_sms(notice.id, on_progress=bar.update)
    else:
        drain_sms(notice.id)


def _pending_sms(notice: Notice) -> int:
    for entry in outage_progress(db.session(), notice.outage_id):
        if entry["notice_id"] == notice.id:
            return int(entry["sms"]["pending"])
    return 0


def describe_progress(outage_id: int) -> list[str]:
    """One line per notice: its kind and state, then emails and SMS sent, failed, pending."""
    lines = []
    for entry in outage_progress(db.session(), outage_id):
        email, sms = entry["email"], entry["sms"]
        lines.append(
            f"notice {entry['notice_id']} ({entry['kind']}, {entry['state']}): "
            f"email {email['sent']} sent, {email['failed']} failed, {email['refused']} refused, "
            f"{_withdrawn(email)}{email['pending']} pending; "
            f"sms {sms['sent']} sent, {sms['failed']} failed, {sms['refused']} refused, "
            f"{_withdrawn(sms)}{sms['pending']} pending"
            + (f" (about {sms['eta_seconds']} s to go)" if sms["pending"] else "")
        )
    return lines


def _withdrawn(counts: dict[str, int]) -> str:
    """Withdrawn messages, mentioned only when there are some (overlapping outages)."""
    return f"{counts['withdrawn']} withdrawn, " if counts["withdrawn"] else ""
