"""`backline twilio configure NUMBER|--all`: point Twilio numbers at Backline."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import click

from app.cli.context import AppGroup

if TYPE_CHECKING:
    from app.twilio.rest import IncomingNumber, TwilioRest, VoiceWebhooks

twilio_group = AppGroup("twilio", help="Set up the account's Twilio numbers to call Backline.")


def _parse_number(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from app.core.phone import InvalidNumber, normalise

    if value is None:
        return None
    try:
        return normalise(value)
    except InvalidNumber as exc:
        raise click.BadParameter(str(exc)) from None


@twilio_group.command("configure")
@click.argument("number", required=False, callback=_parse_number)
@click.option("--all", "every", is_flag=True, help="Configure every number on the account.")
@click.option("--dry-run", is_flag=True, help="Print what would be set; change nothing.")
def configure(number: str | None, every: bool, dry_run: bool) -> None:
    """Set NUMBER's Voice URL, Fallback URL and status callback (or every number's, with --all)."""
    if every and number:
        raise click.UsageError("Give a NUMBER or --all, not both.")
    if not every and not number:
        raise click.UsageError("Give the NUMBER to configure, or --all for every number.")
    from flask import current_app

    from app.core.config import uses_development_twilio
    from app.twilio.rest import TwilioApiError, twilio_rest

    if uses_development_twilio(current_app.config):
        raise click.ClickException(
            "TWILIO_AUTH_TOKEN is not set, so there is no Twilio account to configure. "
            "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
        )
    webhooks = voice_webhooks()
    _describe(webhooks, dry_run)
    try:
        with twilio_rest(current_app.config) as api:
            if number:
                _configure_one(api, number, webhooks, dry_run)
            else:
                _configure_all(api, webhooks, dry_run)
    except TwilioApiError as exc:
        raise click.ClickException(str(exc)) from None


def voice_webhooks() -> VoiceWebhooks:
    """The URLs a number gets: ours, a Fallback URL and the call status callback."""
    from flask import current_app

    from app.core.urls import public_url
    from app.twilio.fallback_requests import SOURCE_PARAMETER, TRUNK_SOURCE
    from app.twilio.rest import VoiceWebhooks

    config = current_app.config
    overrides = (config["BACKLINE_CONNECT_OVERRIDES"] or "").strip().lstrip("#")
    if overrides.lower() in ("off", "none"):
        overrides = ""
    voice_url = public_url("/ivr/voice") + (f"#{overrides}" if overrides else "")
    fallback_url = config["BACKLINE_FALLBACK_URL"] or public_url("/ivr/fallback")
    parts = urlsplit(fallback_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.ClickException(
            f"BACKLINE_FALLBACK_URL must be an absolute http(s) URL, not {fallback_url!r}."
        )
    if (SOURCE_PARAMETER, TRUNK_SOURCE) in parse_qsl(parts.query):
        raise click.ClickException(
            f"BACKLINE_FALLBACK_URL must not carry {SOURCE_PARAMETER}={TRUNK_SOURCE}: that marks "
            "a SIP trunk's Disaster Recovery URL, and would count Backline's own failures as "
            "the primary's."
        )
    return VoiceWebhooks(voice_url, fallback_url, public_url("/ivr/call-status"))


def _describe(webhooks: VoiceWebhooks, dry_run: bool) -> None:
    click.echo("Would set:" if dry_run else "Setting:")
    click.echo(f"  Voice URL (POST):       {webhooks.voice_url}")
    click.echo(f"  Fallback URL (POST):    {webhooks.fallback_url}")
    click.echo(f"  Status callback (POST): {webhooks.status_callback}")
    host = urlsplit(webhooks.voice_url).hostname
    if host == urlsplit(webhooks.fallback_url).hostname:
        click.secho(
            f"Warning: both URLs are on {host}: if that deployment is down, Twilio's fallback "
            "fails too; point BACKLINE_FALLBACK_URL at a second deployment in another region.",
            fg="yellow",
            err=True,
        )


def _configure_one(
    api: TwilioRest, phone_number: str, webhooks: VoiceWebhooks, dry_run: bool
) -> None:
    number = api.find_number(phone_number)
    if number is None:
        raise click.ClickException(
            f"{phone_number} is not a number on Twilio account {api.account_sid}; check the "
            "number and TWILIO_ACCOUNT_SID."
        )
    if number.trunk_sid:
        raise click.ClickException(f"{phone_number} is {_on_trunk(number)}")
    click.echo(_apply(api, number, webhooks, dry_run))


def _configure_all(api: TwilioRest, webhooks: VoiceWebhooks, dry_run: bool) -> None:
    from app.twilio.rest import TwilioApiError

    numbers = list(api.all_numbers())  # the whole list first: a listing error changes nothing
    done, skipped, failed = 0, 0, 0
    for number in numbers:
        if number.trunk_sid:
            click.secho(
                f"{number.phone_number} {number.sid} skipped: {_on_trunk(number)}",
                fg="yellow",
                err=True,
            )
            skipped += 1
            continue
        try:
            click.echo(_apply(api, number, webhooks, dry_run))
            done += 1
        except TwilioApiError as exc:
            click.secho(f"{number.phone_number} {number.sid} failed: {exc}", fg="red", err=True)
            failed += 1
    verb = "would be configured (dry run: nothing was changed)" if dry_run else "configured"
    extra = "".join(
        f", {count} {what}" for count, what in ((skipped, "skipped"), (failed, "failed")) if count
    )
    click.echo(f"{done} of {len(numbers)} numbers {verb}{extra}.")
    if failed:
        raise click.ClickException(
            f"{failed} of {len(numbers)} numbers could not be configured; see the lines above."
        )


def _apply(api: TwilioRest, number: IncomingNumber, webhooks: VoiceWebhooks, dry_run: bool) -> str:
    """Configure one number (unless dry_run) and return the line that reports it."""
    app_sid = number.voice_application_sid
    note = f" (TwiML App {app_sid} detached: its URLs would win)" if app_sid else ""
    if dry_run:
        return f"{number.phone_number} {number.sid} would be configured{note}"
    api.update_number(number.sid, webhooks, detach_application=bool(app_sid))
    return f"{number.phone_number} {number.sid} configured{note}"


def _on_trunk(number: IncomingNumber) -> str:
    from app.twilio.fallback_requests import trunk_recovery_url

    return (
        f"on SIP trunk {number.trunk_sid}, so Twilio ignores its Voice URL; set the trunk's "
        f"Disaster Recovery URL to {trunk_recovery_url()} instead."
    )
