"""What `backline outage start` and `update` share: the actor, the ETA and the message options."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click


def actor() -> str:
    """Who the audit log names for a change made here: `cli:<login>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # containers may run as a uid with no name
        return "cli:unknown-user"


def parse_eta(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time (like 2026-11-22T18:30+01:00)"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # no offset means UTC
    if moment <= datetime.now(UTC):
        raise click.BadParameter(f"{value} is in the past; an ETA must be ahead of now")
    return moment


def parse_numbers(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[str]:
    from app.core.phone import InvalidNumber, normalise

    try:
        return [normalise(v) for v in values]
    except InvalidNumber as exc:
        raise click.BadParameter(str(exc)) from None


def message_options(func):  # type: ignore[no-untyped-def]
    """--message, --caller-message, --subscriber-message and --eta, shared by start and update."""
    func = click.option(
        "--eta", callback=parse_eta, help="Estimated time of restoration, ISO 8601."
    )(func)
    func = click.option("--subscriber-message", help="What subscribers are told.")(func)
    func = click.option("--caller-message", help="What callers hear.")(func)
    return click.option("--message", help="Sets both the caller and subscriber messages.")(func)
