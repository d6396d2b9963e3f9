"""Notices caused by a CLI command: queued for the workers, or sent here before returning.

With REDIS_URL set the commit queues them and `backline worker` does the work. On the embedded
defaults nothing else may be running, so the command sends them itself, with a progress bar on
a terminal (plain lines otherwise), and SMS at the sender's rate. Either way the command reports
the notices it queued itself, not the outage's earlier ones (`backline outage progress` lists
those).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from app.models import Notice

WAIT_FOR_EMAILS_S = 3600.0


def commit_change() -> list[int]:
    """Commit the command's change; the ids of the notices it released, which the commit queues."""
    from app.core.extensions import db
    from app.outages.notices.policy import released_in

    session = db.session()
    queued = released_in(session)
    session.commit()
    return queued


def deliver_here(outage_id: int, queued: list[int]) -> None:
    """Report the notices `queued` by this command; send the outage's released notices now,
    unless a worker will (REDIS_URL set)."""
    from app.core.extensions import jobs
    from app.core.jobs import ThreadBackend

    if not queued:
        click.echo("No notice: subscribers are not told of this change.")
        return
    if not isinstance(jobs.backend, ThreadBackend):
        for notice_id in queued:
            click.echo(
                f"Notice {notice_id} queued for the workers; "
                f"`backline outage progress {outage_id}` follows it."
            )
        return
    click.echo("Sending notices…")
    if not jobs.wait_idle(WAIT_FOR_EMAILS_S):
        raise click.ClickException("Notices are still being sent after an hour; check the log.")
    for notice in _released(outage_id):
        _send_sms(notice)
    for line in describe_progress(outage_id, only=queued):
        click.echo(line)


def _released(outage_id: int) -> list[Notice]:
    from sqlalchemy import select

    from app.core.extensions import db
    from app.models import Notice, NoticeState

    db.session.expire_all()
    query = select(Notice).where(
        Notice.outage_id == outage_id,
        Notice.state.in_([NoticeState.QUEUED, NoticeState.SENDING]),
    )
    return list(db.session.scalars(query))


def _send_sms(notice: Notice) -> None:
    from app.outages.notices.sms import drain_sms, sms_rate

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
    from app.core.extensions import db
    from app.outages.notices.progress import outage_progress

    for entry in outage_progress(db.session(), notice.outage_id):
        if entry["notice_id"] == notice.id:
            return int(entry["sms"]["pending"])
    return 0


def describe_progress(outage_id: int, only: list[int] | None = None) -> list[str]:
    """One line per notice (those in `only`, if given): its kind and state, then emails and SMS
    sent, failed, pending."""
    from app.core.extensions import db
    from app.outages.notices.progress import outage_progress

    lines = []
    for entry in outage_progress(db.session(), outage_id):
        if only is not None and entry["notice_id"] not in only:
            continue
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
