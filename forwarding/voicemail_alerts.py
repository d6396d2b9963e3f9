"""The email that tells ADMIN_EMAIL a voicemail could not be fetched or converted, or that
Twilio reported the recording absent or failed.

The caller's message is lost to the subscriber unless someone acts, so the admins get who
called whom and when (to call back), the reason, and the RecordingSid (Twilio may still have it).
"""

from __future__ import annotations

from email.message import EmailMessage

import structlog
from flask import current_app

from app.core.extensions import db, mailer
from app.core.jobs import job
from app.core.phone import display
from app.models import Subscriber, Voicemail, VoicemailStatus
from forwarding.admin_email import admin_message

log = structlog.get_logger(__name__)


@job("email", timeout=60, retry_intervals=(30, 120, 600, 1800))
def alert_voicemail_failed(voicemail_id: int) -> None:
    """Email the admins about one failed voicemail. At least once (a crash may repeat it)."""
    config = current_app.config
    voicemail = db.session.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.status != VoicemailStatus.FAILED:
        return
    if not config.get("ADMIN_EMAIL"):
        log.error(
            "voicemail failed and ADMIN_EMAIL is unset; nobody alerted", voicemail_id=voicemail_id
        )
        return
    mailer().send(_compose(voicemail, config["ADMIN_EMAIL"], config["MAIL_FROM"]))
    log.info("admins alerted about a failed voicemail", voicemail_id=voicemail_id)


def _compose(voicemail: Voicemail, admin: str, mail_from: str) -> EmailMessage:
    subscriber = (
        db.session.get(Subscriber, voicemail.subscriber_id) if voicemail.subscriber_id else None
    )
    called = (subscriber.name or display(subscriber.number)) if subscriber else "an unknown number"
    return admin_message(
        f"Voicemail for {called} could not be processed",
        "\n".join(
            [
                "A caller reached the voicemail line, but their message could not be delivered,",
                "so nobody got it.",
                "",
                f"Called:     {called}",
                f"Caller:     {display(voicemail.caller_number)}",
                f"When:       {voicemail.recorded_at:%Y-%m-%d %H:%M} UTC",
                f"Reason:     {voicemail.error or 'unknown'}",
                f"Recording:  {voicemail.recording_sid} (call {voicemail.call_sid})",
                "",
                "Twilio may still hold the recording under that RecordingSid. Consider calling the caller back.",
                "",
            ]
        ),
        f"voicemail-alert.{voicemail.recording_sid}",
        admin,
        mail_from,
    )
