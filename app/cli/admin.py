"""`backline admin create EMAIL` (asks for the password twice), `backline admin unlock EMAIL`."""

from __future__ import annotations

import click

from app.cli.context import AppGroup

admin_group = AppGroup("admin", help="Admin accounts for the web UI.")


@admin_group.command("create")
@click.argument("email")
@click.password_option(
    "--password",
    prompt="Password",
    confirmation_prompt="Repeat the password",
    help="Asked for (twice) when not given; prefer the prompt, which leaves no shell history.",
)
def create(email: str, password: str) -> None:
    """Create an admin account, or set a new password for an existing one."""
    from app.admin.accounts import AccountError, set_admin
    from app.core.extensions import db

    session = db.session()
    try:
        admin, created = set_admin(session, email, password)
    except AccountError as exc:
        raise click.ClickException(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    session.commit()
    if created:
        click.echo(f"Admin {admin.email} created. Log in at /admin/.")
    else:
        click.echo(f"Admin {admin.email}: password changed; their other sessions are logged out.")


@admin_group.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Clear the growing delay failed logins put on an account."""
    from app.admin.accounts import find_admin, unlock
    from app.core.extensions import db

    if find_admin(db.session(), email) is None:
        raise click.ClickException(f"There is no admin account {email.strip().lower()}.")
    cleared = unlock(email)
    click.echo(f"{email.strip().lower()}: " + ("delay cleared." if cleared else "had no delay."))
