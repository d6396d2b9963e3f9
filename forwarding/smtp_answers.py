"""What an SMTP relay's refusals mean to Backline: a MailError to retry, or a PermanentMailError.

`SmtpMailer.send` and `send_all` report the same answer the same way, whether the message went
through smtplib's `sendmail` or a pipeline (forwarding/smtp_pipeline.py).
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from app.core.mail import MailError, PermanentMailError
from forwarding.smtp_pipeline import Outcome, Refused


def refusal(refused: Refused) -> MailError:
    """Every recipient refused: for good when every refusal is permanent (5xx)."""
    error = PermanentMailError if all(code >= 500 for code, _ in refused.values()) else MailError
    return error(f"recipient refused: {answers(refused)}")


def partly_refused(refused: Refused) -> PermanentMailError:
    """Some recipients refused, the others took the message: it is not sent again."""
    return PermanentMailError(f"recipient refused: {answers(refused)}")


def settled(outcome: Outcome, failure: Callable[[Exception], MailError]) -> MailError | None:
    """A pipelined message's outcome as `send` would have reported it; `failure` words any
    other error as the mailer does."""
    if isinstance(outcome, smtplib.SMTPRecipientsRefused):
        return refusal(outcome.recipients)
    if isinstance(outcome, smtplib.SMTPException):
        return failure(outcome)
    return partly_refused(outcome) if outcome else None


def answers(refused: Refused) -> str:
    return "; ".join(
        f"{address}: {code} {reply.decode('utf-8', 'replace')}"
        for address, (code, reply) in refused.items()
    )
