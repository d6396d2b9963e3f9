"""`backline purge [--older-than DAYS]`: retention, by hand (the periodic purge does it anyway)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from app.cli.context import with_appcontext
from app.core.config import MAX_RETENTION_DAYS

if TYPE_CHECKING:
    from app.retention import PurgeReport


class Days(click.ParamType):
    """A whole number of days from 1 to MAX_RETENTION_DAYS."""

    name = "DAYS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            days = int(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a whole number of days (for example 90).", param, ctx)
        if not 1 <= days <= MAX_RETENTION_DAYS:
            self.fail(f"{days} is not a number of days from 1 to {MAX_RETENTION_DAYS}.", param, ctx)
        return days


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=Days(),
    help="Purge voicemails recorded more than DAYS days ago [default: BACKLINE_RETENTION_DAYS].",
)
@with_appcontext
def purge(days: int | None) -> None:
    """Erase old voicemails (audio everywhere, transcripts, callers' numbers); keep their rows.

    Also finishes the erasure of deleted subscribers' voicemails. Exits non-zero if a copy of
    any voicemail could not be deleted; running it again goes on where it stopped.
    """
    from flask import current_app

    from app.retention import purge_expired

    days = days or current_app.config["BACKLINE_RETENTION_DAYS"]
    report = purge_expired(days)
    _print(report, days)
    if not report.complete:
        raise SystemExit(1)


def _print(report: PurgeReport, days: int) -> None:
    from app.retention.report import Result

    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M} UTC" if report.cutoff else "now"
    purged = report.with_result(Result.PURGED)
    by_age = sum(1 for outcome in purged if not outcome.erasure)
    click.echo(
        f"Purged {len(purged)} voicemail(s): {by_age} recorded before {cutoff} (older than "
        f"{days} days) and {len(purged) - by_age} of deleted subscribers."
    )
    if purged:
        click.echo(
            "  Deleted: stored audio with every object version, Twilio's recordings and "
            "transcriptions, emails in the outbox. Transcripts erased, callers anonymised."
        )
    click.echo(
        f"Anonymised the callers of {report.calls_anonymised} more call(s) made before {cutoff}."
    )
    if report.set_aside_purged:
        click.echo(
            f"Deleted {report.set_aside_purged} set-aside pending entr(ies) kept before {cutoff}."
        )
    waiting = report.with_result(Result.WAITING)
    if waiting:
        click.echo(f"Not purged yet, still in flight ({len(waiting)}; a later run purges them):")
        for outcome in waiting:
            click.echo(f"  {outcome.describe()}")
    failed = report.with_result(Result.FAILED)
    if failed:
        click.echo(
            f"Failed ({len(failed)}): copies remain; run `backline purge` again once the cause "
            "is fixed (the periodic purge also retries):",
            err=True,
        )
        for outcome in failed:
            click.echo(f"  {outcome.describe()}", err=True)
