"""`backline db upgrade`."""

from __future__ import annotations

import click

from app.cli.context import AppGroup

db_group = AppGroup("db", help="Database schema migrations.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply the Alembic migrations (to the latest by default)."""
    from flask import current_app

    from app.core import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at revision {revision}.")
