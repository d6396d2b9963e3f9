"""`backline outage start|update|resolve|confirm|list|progress|report`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

import click

from app.cli.choices import OUTAGE_STATES
from app.cli.context import AppGroup
from app.cli.notice_work import commit_change, deliver_here, describe_progress
from app.cli.outage_options import actor, message_options
from app.cli.outage_start import start

if TYPE_CHECKING:
    from app.models import Outage

outage_group = AppGroup("outage", help="Start, update, resolve and list outages.")
outage_group.add_command(start)


@outage_group.command("update")
@click.argument("outage_id", type=int)
@message_options
@click.option("--clear-eta", is_flag=True, help="Remove the ETA: no time is given any more.")
@click.option("--state", type=click.Choice(OUTAGE_STATES))
def update(
    outage_id: int,
    message: str | None,
    caller_message: str | None,
    subscriber_message: str | None,
    eta: datetime | None,
    clear_eta: bool,
    state: str | None,
) -> None:
    """Change an outage's messages, ETA or state."""
    from app.core.extensions import db
    from app.outages.lifecycle import OutageError, update_outage

    if eta is not None and clear_eta:
        raise click.UsageError("Give --eta or --clear-eta, not both.")
    changes = _changes(caller_message or message, subscriber_message or message, eta, state)
    if clear_eta:
        changes["etr"] = None  # what the admin UI's emptied ETR field and the API's null do
    if not changes:
        raise click.UsageError(
            "Give at least one of --message, --caller-message, "
            "--subscriber-message, --eta, --clear-eta or --state."
        )
    try:
        update_outage(db.session(), _outage(outage_id), actor=actor(), **changes)
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    queued = commit_change()
    click.echo(f"Outage {outage_id} updated: {', '.join(sorted(changes))}.")
    deliver_here(outage_id, queued)


def _changes(
    caller_message: str | None,
    subscriber_message: str | None,
    eta: datetime | None,
    state: str | None,
) -> dict[str, Any]:
    """The options given, as update_outage's changes."""
    changes = {
        "caller_message": caller_message,
        "subscriber_message": subscriber_message,
        "etr": eta,
        "state": state,
    }
    return {k: v for k, v in changes.items() if v is not None}


@outage_group.command("resolve")
@click.argument("outage_id", type=int)
def resolve(outage_id: int) -> None:
    """Resolve an outage; calls pass through again."""
    from app.core.extensions import db
    from app.outages.lifecycle import OutageError, resolve_outage

    try:
        resolve_outage(db.session(), _outage(outage_id), actor=actor())
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    queued = commit_change()
    click.echo(f"Outage {outage_id} resolved.")
    deliver_here(outage_id, queued)


@outage_group.command("confirm")
@click.argument("outage_id", type=int)
def confirm(outage_id: int) -> None:
    """Confirm an outage Alertmanager or the detector opened: its subscribers are told now."""
    from app.core.extensions import db
    from app.outages.lifecycle import OutageError, confirm_outage

    try:
        confirmed = confirm_outage(db.session(), _outage(outage_id), actor=actor())
    except OutageError as exc:
        raise click.ClickException(str(exc)) from None
    queued = commit_change()
    if not confirmed:
        click.echo(f"Outage {outage_id} was confirmed already; nothing sent again.")
        return
    click.echo(f"Outage {outage_id} confirmed.")
    deliver_here(outage_id, queued)


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
    from app.core.extensions import db
    from app.outages.lifecycle import OutageError, publish_report

    try:
        published = publish_report(db.session(), _outage(outage_id), actor=actor(), report=text)
    except OutageError as exc:
        raise click.ClickException(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    queued = commit_change()
    if not published:
        click.echo(f"Outage {outage_id} already has this report; nothing sent again.")
        return
    click.echo(f"Report published for outage {outage_id}.")
    deliver_here(outage_id, queued)


@outage_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved outages.")
def list_command(show_all: bool) -> None:
    """One outage a line, starting with its id (active ones unless --all)."""
    from sqlalchemy import select

    from app.core.extensions import db
    from app.models import ACTIVE_STATES, Outage

    query = select(Outage).order_by(Outage.id.desc())
    if not show_all:
        query = query.where(Outage.state.in_([s.value for s in ACTIVE_STATES]))
    for outage in db.session.scalars(query):
        click.echo(_describe(outage))


def _outage(outage_id: int) -> Outage:
    from app.core.extensions import db
    from app.models import Outage

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
