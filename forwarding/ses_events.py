"""What an SES notification means for deliveries: a permanent bounce marks them `bounced`.

Deliveries are matched on the Message-ID Backline gave the email (SES reports the original
headers back even though it rewrites the header recipients see) and on the bounced address.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

import structlog
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Delivery, DeliveryState

log = structlog.get_logger(__name__)


class SesEventMalformed(ValueError):
    """The notification is not an SES event Backline can read (400)."""


def apply_ses_event(event: Any) -> list[int]:
    """Apply one SES notification; return the ids of deliveries it marked bounced."""
    if not isinstance(event, dict) or not isinstance(event.get("mail"), dict):
        raise SesEventMalformed("The notification's Message is not an SES event with a mail part.")
    kind = event.get("notificationType") or event.get("eventType")
    if kind == "Bounce":
        return _bounce(event)
    if kind == "Complaint":
        complaint = event.get("complaint")
        complaint = complaint if isinstance(complaint, dict) else {}
        log.warning(
            "SES complaint",
            message_ids=sorted(_message_ids(event["mail"])),
            feedback_type=complaint.get("complaintFeedbackType"),
        )
    else:
        log.info("SES event ignored", kind=kind)
    return []


def _bounce(event: dict[str, Any]) -> list[int]:
    bounce = event.get("bounce")
    if not isinstance(bounce, dict):
        raise SesEventMalformed("A Bounce notification needs a bounce object.")
    ids, addresses = _message_ids(event["mail"]), _bounced_addresses(bounce)
    if bounce.get("bounceType") != "Permanent":
        log.warning(
            "SES transient bounce; SES has given up, the address may work later",
            bounce_type=bounce.get("bounceType"),
            message_ids=sorted(ids),
        )
        return []
    deliveries = db.session.scalars(
        select(Delivery).where(
            Delivery.message_id.in_(ids),
            func.lower(Delivery.address).in_(addresses),
            Delivery.state != DeliveryState.BOUNCED,
        )
    ).all()
    for delivery in deliveries:
        delivery.state = DeliveryState.BOUNCED
        delivery.last_error = _reason(bounce, delivery.address)
    db.session.commit()
    log.warning("SES permanent bounce", delivery_ids=[d.id for d in deliveries])
    return [d.id for d in deliveries]


def _message_ids(mail: dict[str, Any]) -> set[str]:
    """Every form of the original Message-ID the notification carries, with and without <>."""
    found = []
    common = mail.get("commonHeaders")
    if isinstance(common, dict):
        found.append(common.get("messageId"))
    headers = mail.get("headers")
    if isinstance(headers, list):
        found += [
            h.get("value")
            for h in headers
            if isinstance(h, dict) and str(h.get("name", "")).lower() == "message-id"
        ]
    cores = {v.strip().strip("<>") for v in found if isinstance(v, str) and v.strip()}
    return {form for core in cores for form in (core, f"<{core}>")}


def _bounced_addresses(bounce: dict[str, Any]) -> set[str]:
    recipients = bounce.get("bouncedRecipients")
    if not isinstance(recipients, list):
        raise SesEventMalformed("A Bounce notification needs bouncedRecipients.")
    return {
        parseaddr(r["emailAddress"])[1].lower()
        for r in recipients
        if isinstance(r, dict) and isinstance(r.get("emailAddress"), str)
    }


def _reason(bounce: dict[str, Any], address: str) -> str:
    detail = next(
        (
            r.get("diagnosticCode") or r.get("status")
            for r in bounce.get("bouncedRecipients", [])
            if isinstance(r, dict)
            and parseaddr(str(r.get("emailAddress", "")))[1].lower() == address.lower()
        ),
        None,
    )
    kind = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', 'General')}"
    return f"bounced ({kind}){': ' + str(detail) if detail else ''}"
