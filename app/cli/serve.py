"""`backline serve`: the whole service on one machine."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from app.cli.context import with_appcontext

if TYPE_CHECKING:
    from flask import Flask

WEBHOOKS = (
    ("Voice URL", "/ivr/voice"),
    ("Fallback URL", "/ivr/fallback"),
    ("Call status callback", "/ivr/call-status"),
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOOPBACK_NOTE = (
    "These URLs are on this machine only: `backline simulate-call` plays Twilio's part against "
    "them. For real calls Twilio needs a public https URL: put Backline behind TLS (a proxy "
    "such as nginx or Caddy, or a tunnel), set BACKLINE_PUBLIC_URL to that URL, set "
    "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, then run `backline twilio configure`. See "
    "docs/twilio.md and docs/deployment.md."
)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT, else 5000.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
def serve(host: str, port: int | None, threads: int) -> None:
    """Run the web app and the job runner in this process (the embedded defaults)."""
    from flask import current_app
    from waitress import serve as waitress_serve

    from app.core.scheduler import PeriodicScheduler

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    port = port or int(os.environ.get("PORT") or 5000)
    if not os.environ.get("BACKLINE_PUBLIC_URL") and app.config["BACKLINE_ENV"] != "production":
        app.config["BACKLINE_PUBLIC_URL"] = f"http://{_url_host(host)}:{port}"
    _announce(app)
    # With Redis, the runs go to the workers' periodic queues, and the workers schedule them too:
    # take turns through the same lock. Without it, each run gets a thread of this process.
    PeriodicScheduler(app, exclusive=bool(app.config.get("REDIS_URL"))).start()
    waitress_serve(app, host=host, port=port, threads=threads, ident="Backline")


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _announce(app: Flask) -> None:
    from app.core.config import uses_development_twilio
    from app.core.urls import public_url
    from app.twilio.fallback_requests import trunk_recovery_url

    click.echo(f"Backline ({app.config['BACKLINE_ENV']}) answering at {public_url('/')}")
    click.echo("Paste these into Twilio (Phone Numbers > your number > Voice Configuration):")
    for label, path in WEBHOOKS:
        click.echo(f"  {label}: {public_url(path)}")
    click.echo("For numbers on an Elastic SIP Trunk, set the trunk's (never a number's):")
    click.echo(f"  Disaster Recovery URL: {trunk_recovery_url()}")
    if urlsplit(public_url("/")).hostname in LOOPBACK_HOSTS:
        click.echo(LOOPBACK_NOTE)
    mode = "rq workers on Redis" if app.config.get("REDIS_URL") else "in this process"
    mail = (
        "SMTP" if app.config.get("SMTP_URL") else f"the Maildir at {app.config['BACKLINE_OUTBOX']}"
    )
    click.echo(f"Jobs run {mode}; mail goes to {mail}.")
    if uses_development_twilio(app.config):
        click.secho(
            "Warning: TWILIO_AUTH_TOKEN is not set, so webhooks are checked against a local "
            "development secret: real Twilio requests would get 403. `backline simulate-call` "
            "uses the same secret.",
            fg="yellow",
            err=True,
        )
