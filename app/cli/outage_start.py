"""`backline outage start`: a scope is required, `--all` is the only way to reach everyone.

A scope that matches no subscriber is refused (it is most often a typo) unless `--force`;
`--dry-run` shows whom the outage would reach and what they would be told, and creates nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from app.cli.context import with_appcontext
from app.cli.notice_work import commit_change, deliver_here
from app.cli.outage_options import actor, message_options, parse_numbers

if TYPE_CHECKING:
    from app.models import Outage
    from app.outages.lifecycle import Scope

NO_SCOPE = (
    "Say whom the outage affects: --region, --number or --plan (each repeatable), "
    "or --all to reach every subscriber. Nothing was started."
)
ALL_AND_SCOPE = (
    "--all reaches every subscriber; leave it out to limit the outage with "
    "--region, --number or --plan. Nothing was started."
)


@click.command("start")
@with_appcontext
@message_options
@click.option("--region", "regions", multiple=True, help="Limit to a region (repeatable).")
@click.option(
    "--number",
    "numbers",
    multiple=True,
    callback=parse_numbers,
    help="Limit to a subscriber number (repeatable).",
)
@click.option("--plan", "plans", multiple=True, help="Limit to a plan (repeatable).")
@click.option(
    "--all",
    "everyone",
    is_flag=True,
    help="Every subscriber: the only way to reach everyone (no scope at all is refused).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Start it even if no subscriber matches the scope (a number about to be imported).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print how many subscribers it would reach and the first notice; create nothing.",
)
def start(
    message: str | None,
    caller_message: str | None,
    subscriber_message: str | None,
    eta: datetime | None,
    regions: tuple[str, ...],
    numbers: list[str],
    plans: tuple[str, ...],
    everyone: bool,
    force: bool,
    dry_run: bool,
) -> None:
    """Start an outage, active at once; prints its id on the first line.

    Give its scope with --region, --number and --plan; --all is the way to reach every
    subscriber. Repeated values of one option are alternatives; different options narrow
    each other.
    """
    from app.core.extensions import db
    from app.outages.affected import affected_count
    from app.outages.lifecycle import Scope, draft_outage, start_outage

    scope = _checked_scope(Scope(list(regions), numbers, list(plans)), everyone, force)
    draft = draft_outage(
        scope=scope,
        caller_message=caller_message or message,
        subscriber_message=subscriber_message or message,
        etr=eta,
    )
    if dry_run:
        _print_dry_run(draft)
        return
    outage = start_outage(
        db.session(),
        actor=actor(),
        scope=scope,
        caller_message=draft.caller_message,
        subscriber_message=draft.subscriber_message,
        etr=eta,
    )
    queued = commit_change()
    click.echo(outage.id)
    count = affected_count(db.session(), outage)
    click.echo(f"Outage {outage.id} started; it affects {count} subscriber(s).")
    deliver_here(outage.id, queued)


def _checked_scope(scope: Scope, everyone: bool, force: bool) -> Scope:
    """The scope asked for, or a refusal: none at all, --all with limits, or nobody matched."""
    from app.core.extensions import db
    from app.outages.scope_rules import nobody_matches

    if everyone and not scope.covers_everyone:
        raise click.UsageError(ALL_AND_SCOPE)
    if not everyone and scope.covers_everyone:
        raise click.UsageError(NO_SCOPE)
    if not force and (problem := nobody_matches(db.session(), scope)):
        raise click.ClickException(
            f"{problem} Check the spelling, or add --force to start it anyway "
            "(for a number about to be imported). Nothing was started."
        )
    return scope


def _print_dry_run(draft: Outage) -> None:
    """Say whom the outage would reach and what the first of them would read."""
    from app.core.extensions import db
    from app.outages.affected import affected_count
    from app.outages.notices.preview import first_notice

    session = db.session()
    click.echo("Dry run: no outage was created and nobody was told.")
    click.echo(f"It would affect {affected_count(session, draft)} subscriber(s).")
    preview = first_notice(session, draft)
    if preview is None:
        click.echo("Nobody would be sent a notice.")
        return
    click.echo(f"The first notice, by email to {preview.address}:")
    click.echo(f"Subject: {preview.subject}")
    click.echo("")
    click.echo(preview.text.rstrip())
