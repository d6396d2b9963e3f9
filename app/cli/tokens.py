"""`backline token create NAME`, `backline token revoke NAME|ID`, `backline token list`."""

from __future__ import annotations

from datetime import datetime

import click

from app.cli.context import AppGroup

token_group = AppGroup("token", help="Create, list and revoke REST API tokens.")


@token_group.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Make an API token; it is printed once, alone on the last line, and never stored."""
    from app.core.extensions import db
    from app.security.tokens import TokenError, create_token

    session = db.session()
    try:
        row, secret = create_token(session, name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Token {row.id} ({row.name}) created. Keep it secret; it is not shown again.")
    click.echo("Send it as `Authorization: Bearer <token>`:")
    click.echo(secret)


@token_group.command("revoke")
@click.argument("name_or_id")
def revoke(name_or_id: str) -> None:
    """Revoke a token by its id or name; requests with it get 401 from now on."""
    from app.core.extensions import db
    from app.security.tokens import TokenError, revoke_token

    session = db.session()
    try:
        row = revoke_token(session, name_or_id)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"Token {row.id} ({row.name}) revoked.")


@token_group.command("list")
def list_command() -> None:
    """One token a line: id, name, state, created, last used (never the token itself)."""
    from app.core.extensions import db
    from app.security.tokens import all_tokens

    for row in all_tokens(db.session()):
        state = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(
            f"{row.id}\t{row.name}\t{state}\tcreated {_when(row.created_at)}"
            f"\tlast used {_when(row.last_used_at)}"
        )


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}Z" if moment else "never"
