"""The email that tells ADMIN_EMAIL a `/ivr/fallback` request was not counted against the
primary: Backline's own webhook failed, or nothing said which path the request came from.

At most one per cause and error code per BACKLINE_FALLBACK_ALERT_MINUTES, across every web
process and worker (app/alert_gate.py): during a failure of Backline's own every call reaches
the Fallback URL, and the admins need to hear it once, not once per caller.
"""

from __future__ import annotations

from email.message import EmailMessage
from secrets import token_hex

import structlog
from flask import current_app

from app.core.extensions import mailer
from app.core.jobs import job
from app.core.mail import MailError
from app.resilience.alert_gate import claim_alert, release_alert
from app.twilio.fallback_requests import FallbackCause, describe, trunk_recovery_url
from forwarding.admin_email import admin_message

log = structlog.get_logger(__name__)

SUBJECTS = {
    FallbackCause.OWN_WEBHOOK: "Backline's own webhook is failing: Twilio error {code}",
    FallbackCause.UNCLASSIFIED: "Fallback URL request not counted against the primary: {code}",
}
EXPLANATIONS = {
    FallbackCause.OWN_WEBHOOK: [
        "Twilio could not use Backline's Voice URL and requested the number's",
        "Fallback URL instead. This is Backline failing, not the primary platform:",
        "these requests are not evidence that the primary is down, so the detector",
        "ignores them and no outage was opened.",
        "",
        "Callers were answered by the Fallback URL (the outage IVR and voicemail),",
        "but calls to healthy subscribers are not passed through to the primary",
        "while this lasts. Check the deployment behind the failed URL: its /readyz,",
        "its logs, and Twilio's debugger (Monitor > Errors) for the same code.",
    ],
    FallbackCause.UNCLASSIFIED: [
        "A request reached /ivr/fallback without the SIP trunk's marker",
        "(?source=trunk) and without an error code of Backline's own webhook, so",
        "Backline cannot tell where it came from. The caller was answered as usual.",
        "The request is not evidence that the primary is down, so it can never open",
        "an outage for everyone.",
        "",
        "If it came from a SIP trunk's Disaster Recovery URL, set that URL to the",
        "one below, so that the detector counts the trunk's failed calls again.",
    ],
}


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def alert_fallback_not_counted(cause: str, error_code: str | None, error_url: str | None) -> None:
    """Email the admins about fallback requests of one cause and code, once per window.

    Idempotent within the window: a repeat finds it taken and sends nothing. A send that fails
    gives the window back and raises, so that a retry sends it.
    """
    config = current_app.config
    if not config.get("ADMIN_EMAIL"):
        log.error("fallback requests not counted and ADMIN_EMAIL is unset; nobody alerted")
        return
    subject = f"fallback.{cause}.{error_code or 'none'}"
    minutes = max(1, int(config["BACKLINE_FALLBACK_ALERT_MINUTES"]))
    if not claim_alert(subject, minutes * 60):
        log.info("fallback alert already sent in this window", cause=cause, error_code=error_code)
        return
    message = compose(FallbackCause(cause), error_code, error_url, minutes)
    try:
        mailer().send(message)
    except MailError:
        release_alert(subject)
        raise
    log.info("admins alerted about fallback requests", cause=cause, error_code=error_code)


def compose(
    cause: FallbackCause, error_code: str | None, error_url: str | None, minutes: int
) -> EmailMessage:
    """A plain-text alert naming the error, the URL that failed and what to do."""
    config = current_app.config
    lines = [
        *EXPLANATIONS[cause],
        "",
        f"Error:       {describe(error_code)}",
        f"Failed URL:  {error_url or '-'}",
        "",
        "Numbers' Fallback URLs are the plain /ivr/fallback (as `backline twilio",
        "configure` sets them). Only a SIP trunk's Disaster Recovery URL carries the",
        "marker, and only requests to it count against the primary:",
        f"    {trunk_recovery_url()}",
        "",
        f"More requests like this one are not emailed for {minutes} minutes.",
        "backline_own_webhook_failures_total on /metrics counts every call that",
        "reached the Fallback URL because Backline's own webhook failed.",
        "",
    ]
    return admin_message(
        SUBJECTS[cause].format(code=describe(error_code)),
        "\n".join(lines),
        f"fallback-alert.{cause}.{error_code or 'none'}.{token_hex(8)}",
        config["ADMIN_EMAIL"],
        config["MAIL_FROM"],
    )
