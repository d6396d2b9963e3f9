"""`backline outage start|update|resolve|confirm|list|progress|report`."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.notice_work import deliver_here, describe_progress
from app.cli.outage_options import actor, message_options
from app.cli.outage_start import start
from app.core.extensions import db
from app.models import ACTIVE_STATES, Outage, OutageState
from app.outages.lifecycle import (
    OutageError,
    confirm_outage,
    publish_report,
    resolve_outage,
    update_outage,
)

outage_group = AppGroup("outage", help="Start, update, resolve and list outages.")
outage_group.add_command(start)


@outage_group.command("update")
@click.argument("outage_id", type=int)
@message_options
@click.option("--state", type=click.Choice([s.value for s in OutageState]))
def update(
    outage_id: int,
    message: str | None,
    caller_message: str | None,
    subscriber_message: str | None,
    eta: datetime | None,
    state: str | None,
) -> None:
    """Change an outage's messages, ETA or state."""
    changes = {
        "caller_message": caller_message or message,
        "subscriber_message": subscriber_message or message,
        "etr": eta,
        "state": state,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise click.UsageError(
            "Give at least one of --message, --caller-message, "
            "--subscriber-message, --eta or --state."
        )
    session = db.session()
    try:
        update_outage(session, _outage(outage_id), actor=actor(), **changes)
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Outage {outage_id} updated: {', '.join(sorted(changes))}.")
    deliver_here(outage_id)


@outage_group.command("resolve")
@click.argument("outage_id", type=int)
def resolve(outage_id: int) -> None:
    """Resolve an outage; calls pass through again."""
    session = db.session()
    try:
        resolve_outage(session, _outage(outage_id), actor=actor())
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Outage {outage_id} resolved.")
    deliver_here(outage_id)


@outage_group.command("confirm")
@click.argument("outage_id", type=int)
def confirm(outage_id: int) -> None:
    """Confirm an outage Alertmanager or the detector opened: its subscribers are told now."""
    session = db.session()
    try:
        confirmed = confirm_outage(session, _outage(outage_id), actor=actor())
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    if not confirmed:
        click.echo(f"Outage {outage_id} was confirmed already; nothing sent again.")
        return
    click.echo(f"Outage {outage_id} confirmed.")
    deliver_here(outage_id)


@outage_group.command("progress")
@click.argument("outage_id", type=int)
def progress(outage_id: int) -> None:
    """Notices of an outage: sent, failed and pending, by channel."""
    _outage(outage_id)
    lines = describe_progress(outage_id)
    click.echo("\n".join(lines) if lines else f"Outage {outage_id} has no notices.")


@outage_group.command("report")
@click.argument("outage_id", type=int)
@click.option(
    "--file",
    "report_file",
    required=True,
    type=click.File("r", encoding="utf-8-sig"),
    help="The post-incident report (plain text or Markdown).",
)
def report(outage_id: int, report_file: TextIO) -> None:
    """Publish a resolved outage's post-incident report to its subscribers."""
    try:
        text = report_file.read()
    except UnicodeDecodeError:
        raise click.ClickException(f"{report_file.name} is not UTF-8 text.") from None
    session = db.session()
    try:
        published = publish_report(session, _outage(outage_id), actor=actor(), report=text)
    except OutageError as exc:
        raise click.ClickException(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    session.commit()
    if not published:
        click.echo(f"Outage {outage_id} already has this report; nothing sent again.")
        return
    click.echo(f"Report published for outage {outage_id}.")
    deliver_here(outage_id)


@outage_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved outages.")
def list_command(show_all: bool) -> None:
    """One outage a line, starting with its id (active ones unless --all)."""
    query = select(Outage).order_by(Outage.id.desc())
    if not show_all:
        query = query.where(Outage.state.in_([s.value for s in ACTIVE_STATES]))
    for outage in db.session.scalars(query):
        click.echo(_describe(outage))


def _outage(outage_id: int) -> Outage:
    outage = db.session.get(Outage, outage_id)
    if outage is None:
        raise click.ClickException(f"There is no outage {outage_id}.")
    return outage


def _describe(outage: Outage) -> str:
    scope = [
        *(f"region={r}" for r in outage.scope_regions),
        *(f"number=…{n[-4:]}" for n in outage.scope_numbers),
        *(f"plan={p}" for p in outage.scope_plans),
    ] or ["everyone"]
    etr = f" etr={outage.etr:%Y-%m-%dT%H:%MZ}" if outage.etr else ""
    message = (outage.caller_message or "")[:60]
    return (
        f"{outage.id}\t{outage.state}\t{outage.source}\tsince {outage.started_at:%Y-%m-%d %H:%M}Z"
        f"\t{' '.join(scope)}{etr}\t{message}"
    )
