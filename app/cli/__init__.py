"""The `backline` command: Flask's click group with Backline's commands."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from app import create_app
from app.config import ConfigError

from .db import db_group
from .outage import outage_group
from .serve import serve
from .simulate import simulate_call
from .subscribers import subscribers_group
from .worker import worker


def _load_app(*_args: Any) -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


main = FlaskGroup(
    name="backline",
    create_app=_load_app,
    add_version_option=False,
    help="Backline: the line that still answers when the primary VoIP platform is down.",
)
for command in (serve, worker, simulate_call, db_group, subscribers_group, outage_group):
    main.add_command(command)
