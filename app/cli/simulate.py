"""`backline simulate-call`: play Twilio's part against a running Backline."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from app.cli.context import with_appcontext

if TYPE_CHECKING:
    from app.models import Voicemail

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command("simulate-call")
@with_appcontext
@click.option("--to", "to", required=True, help="The subscriber number being called.")
@click.option("--from", "from_", default="+14155550123", show_default=True, help="The caller.")
@click.option("--digits", default="", help="Keys the caller presses, in order (e.g. 1).")
@click.option(
    "--speak",
    type=click.FloatRange(1, 600),
    default=5.0,
    show_default=True,
    help="Seconds of message the caller leaves.",
)
@click.option(
    "--wait",
    type=click.FloatRange(0, 600),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the voicemail email.",
)
def simulate_call(to: str, from_: str, digits: str, speak: float, wait: float) -> None:
    """Call a subscriber the way Twilio would and report where the voicemail went."""
    import requests
    from flask import current_app

    from app.core.urls import public_url
    from app.twilio.simulator.media_server import MediaServer, MediaState
    from app.twilio.simulator.player import CallPlayer, FlowError
    from app.twilio.simulator.signed_client import SignedClient

    config = current_app.config
    host, port = _media_address(config["TWILIO_API_URL"])
    state = MediaState(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
    params = _call_params(to, from_, config["TWILIO_ACCOUNT_SID"])
    click.echo(f"Calling {params['To']} from {params['From']} through {public_url('/ivr/voice')}")
    with MediaServer(state, host=host, port=port):
        player = CallPlayer(
            SignedClient(config["TWILIO_AUTH_TOKEN"]),
            state,
            params,
            digits=list(digits),
            speak_seconds=speak,
            echo=click.echo,
        )
        try:
            outcome = player.run(public_url("/ivr/voice"))
        except requests.ConnectionError:
            raise click.ClickException(
                f"Backline is not answering at {public_url('/')}: start it first (make run)."
            ) from None
        except FlowError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Call ended ({outcome.ended_by}).")
        if outcome.recording_sid:
            _report_voicemail(outcome.recording_sid, wait)


def _media_address(api_url: str) -> tuple[str, int]:
    parts = urlsplit(api_url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise click.ClickException(
            f"simulate-call serves the recording itself, so TWILIO_API_URL must be a local "
            f"http:// address (it is {api_url}). Unset TWILIO_AUTH_TOKEN in development, or "
            f"point TWILIO_API_URL and the running Backline at http://127.0.0.1:PORT."
        )
    return parts.hostname or "127.0.0.1", parts.port or 80


def _call_params(to: str, from_: str, account_sid: str) -> dict[str, str]:
    from app.core.phone import InvalidNumber, normalise

    try:
        to_number = normalise(to)
    except InvalidNumber as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    return {
        "CallSid": "CA" + secrets.token_hex(16),
        "AccountSid": account_sid,
        "From": from_,
        "To": to_number,
        "Caller": from_,
        "Called": to_number,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def _report_voicemail(recording_sid: str, wait: float) -> None:
    from sqlalchemy import select

    from app.core.extensions import db
    from app.models import Voicemail

    click.echo("Waiting for the voicemail email...")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        db.session.remove()
        voicemail = db.session.scalar(
            select(Voicemail).where(Voicemail.recording_sid == recording_sid)
        )
        if voicemail and _settled(voicemail):
            _print_voicemail(voicemail)
            return
        time.sleep(0.5)
    raise click.ClickException(
        f"No email for recording {recording_sid} after {wait:g} s. Is a worker running "
        f"(backline worker, with REDIS_URL set)?"
    )


def _settled(voicemail: Voicemail) -> bool:
    from app.models import OWED_STATES, VoicemailStatus

    if voicemail.status in (VoicemailStatus.FAILED, VoicemailStatus.HELD):
        return True
    return voicemail.status == VoicemailStatus.STORED and all(
        d.state not in OWED_STATES for d in voicemail.deliveries
    )


def _print_voicemail(voicemail: Voicemail) -> None:
    from flask import current_app

    from app.models import VoicemailStatus

    if voicemail.status == VoicemailStatus.FAILED:
        raise click.ClickException(f"The voicemail could not be processed: {voicemail.error}")
    if voicemail.status == VoicemailStatus.HELD:
        click.echo("Voicemail stored but not emailed: shorter than BACKLINE_MIN_RECORDING_SECONDS.")
        return
    if not voicemail.deliveries:
        raise click.ClickException(
            f"The voicemail was stored but went to nobody: {voicemail.error}"
        )
    outbox = current_app.config["BACKLINE_OUTBOX"]
    for delivery in voicemail.deliveries:
        where = f" (Maildir {outbox})" if delivery.provider == "maildir" else ""
        detail = f": {delivery.last_error}" if delivery.last_error else ""
        click.echo(f"Voicemail emailed to {delivery.address}: {delivery.state}{where}{detail}")
