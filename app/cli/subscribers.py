"""`backline subscribers import FILE.csv` and `backline subscribers export`."""

from __future__ import annotations

import sys

import click

from app.cli.context import AppGroup

subscribers_group = AppGroup("subscribers", help="Import and export subscribers as CSV.")


@subscribers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Import subscribers from CSV; nothing is written if any row is wrong."""
    from app.core.extensions import db
    from app.subscribers.csv_files import import_rows, read_csv_for

    session = db.session()
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            result = read_csv_for(session, handle)
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if result.errors:
        for error in result.errors:
            click.echo(error, err=True)
        raise click.ClickException(
            f"{len(result.errors)} problem(s) in {path}; nothing was imported."
        )
    created, updated = import_rows(session, result.rows)
    click.echo(f"Imported {created + updated} subscribers ({created} new, {updated} updated).")


@subscribers_group.command("export")
def export_command() -> None:
    """Write every subscriber to stdout as CSV (the import format)."""
    from sqlalchemy import select

    from app.core.extensions import db
    from app.models import Subscriber
    from app.subscribers.csv_files import export_csv

    subscribers = db.session.scalars(select(Subscriber).order_by(Subscriber.number))
    sys.stdout.write(export_csv(subscribers))
