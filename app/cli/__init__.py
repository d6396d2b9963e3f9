"""The `backline` command: a click group of Backline's commands, and nothing else.

It is declared without importing Flask, SQLAlchemy or the app: `backline --help` (of any
command) works with no settings, database or Redis, and starts in a fraction of a second. The
app is built when a command runs (app/cli/context.py); each command module imports what its
work needs inside the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from app.cli.admin import admin_group
from app.cli.context import AppLoader
from app.cli.db import db_group
from app.cli.deliveries import deliveries_group
from app.cli.outage import outage_group
from app.cli.purge import purge
from app.cli.serve import serve
from app.cli.simulate import simulate_call
from app.cli.subscribers import subscribers_group
from app.cli.tokens import token_group
from app.cli.twilio import twilio_group
from app.cli.worker import worker

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError


class BacklineGroup(click.Group):
    """The root group: it gives the commands an AppLoader, and reports database trouble as a
    sentence instead of a traceback."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if extra.get("obj") is None:
            extra["obj"] = AppLoader()  # tests pass Flask's ScriptInfo with their own app
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # `--help` among them: it must not import SQLAlchemy to get here
        except Exception as exc:
            from sqlalchemy.exc import DBAPIError

            if isinstance(exc, DBAPIError):
                raise click.ClickException(_database_problem(exc)) from None
            raise


def _database_problem(exc: DBAPIError) -> str:
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
        return (
            f"The database has no Backline tables yet ({detail}). Run `backline db upgrade` first."
        )
    return (
        f"The database could not be used: {detail}. Check DATABASE_URL and that the server is up."
    )


main = BacklineGroup(
    name="backline",
    help="Backline: the line that still answers when the primary VoIP platform is down.",
)
for command in (
    serve,
    worker,
    simulate_call,
    db_group,
    subscribers_group,
    outage_group,
    deliveries_group,
    twilio_group,
    token_group,
    admin_group,
    purge,
):
    main.add_command(command)
