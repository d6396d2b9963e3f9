"""The `backline` command: Flask's click group with Backline's commands."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.cli.admin import admin_group
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
from app.core.config import ConfigError


def _load_app(*_args: Any) -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class BacklineGroup(FlaskGroup):
    """Flask's group, with database trouble reported as a sentence instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            raise click.ClickException(_database_problem(exc)) from None


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
    create_app=_load_app,
    add_version_option=False,
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
