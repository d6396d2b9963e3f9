"""`backline deliveries list [--failed]` and `backline deliveries retry ID|--all-failed`."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING

import click

from app.cli.context import AppGroup

if TYPE_CHECKING:
    from app.models import Delivery

deliveries_group = AppGroup("deliveries", help="List voicemail emails and resend failed ones.")

WAIT_S = 300.0  # how long a resend on the embedded defaults may take before we stop waiting


@deliveries_group.command("list")
@click.option("--failed", is_flag=True, help="Only failed and bounced deliveries.")
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True)
def list_command(failed: bool, limit: int) -> None:
    """One delivery a line, starting with its id; failed and bounced ones first."""
    from sqlalchemy import case, select

    from app.core.extensions import db
    from app.models import Delivery
    from forwarding.resend import FAILED_STATES

    failed_first = case((Delivery.state.in_(FAILED_STATES), 0), else_=1)
    query = select(Delivery).order_by(failed_first, Delivery.id.desc()).limit(limit + 1)
    if failed:
        query = query.where(Delivery.state.in_(FAILED_STATES))
    rows = db.session.scalars(query).all()
    for delivery in rows[:limit]:
        click.echo(describe(delivery))
    if len(rows) > limit:
        click.echo(f"(more than {limit}; raise --limit to see them)", err=True)


def describe(delivery: Delivery) -> str:
    """id, state, address, voicemail, attempts, provider and the last error, tab-separated."""
    error = " ".join((delivery.last_error or "").split())[:160]
    return "\t".join(
        [
            str(delivery.id),
            delivery.state,
            delivery.address,
            f"voicemail={delivery.voicemail_id}",
            f"attempts={delivery.attempts}",
            f"provider={delivery.provider or '-'}",
            error or "-",
        ]
    )


@deliveries_group.command("retry")
@click.argument("delivery_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Resend every failed or bounced delivery once.")
@click.option("--to", "address", help="Send this one to another address instead.")
def retry(delivery_id: int | None, all_failed: bool, address: str | None) -> None:
    """Resend as a new delivery (a new Message-ID); the old one stays as it was."""
    if (delivery_id is None) == (not all_failed):
        raise click.UsageError("Give a delivery ID or --all-failed (not both).")
    if address and all_failed:
        raise click.UsageError("--to goes with a single delivery ID, not --all-failed.")
    if address is not None and "@" not in parseaddr(address)[1]:
        raise click.BadParameter(f"{address!r} is not an email address.", param_hint="--to")
    from flask import current_app

    from app.core.extensions import db
    from forwarding.resend import (
        ResendRefused,
        make_resend,
        queue_resends,
        retryable,
        unretried_failures,
    )

    session = db.session()
    try:
        originals = (
            unretried_failures(session)
            if delivery_id is None
            else [retryable(session, delivery_id)]
        )
    except ResendRefused as exc:
        raise click.ClickException(str(exc)) from None
    resends = []
    for original in originals:
        resend = make_resend(session, original, address)
        click.echo(f"{resend.id}\tresend of {original.id}\tto {resend.address}")
        resends.append(resend)
    session.commit()
    queue_resends(resends)
    click.echo(f"{len(resends)} delivery(ies) queued again.")
    if not current_app.config.get("REDIS_URL"):
        _wait_and_report(resends)


def _wait_and_report(resends: list[Delivery]) -> None:
    """On the embedded defaults this process runs the jobs: wait for them, then say how it went."""
    from sqlalchemy import func, select

    from app.core.extensions import db, jobs
    from app.models import Delivery

    if not jobs.wait_idle(WAIT_S):
        click.echo(f"Still sending after {WAIT_S:.0f} s; see `backline deliveries list`.", err=True)
    db.session.expire_all()
    states = dict(
        db.session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.id.in_([r.id for r in resends]))
            .group_by(Delivery.state)
        ).all()
    )
    summary = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    click.echo(f"Resent: {summary or 'nothing'}.")
