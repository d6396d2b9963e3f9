"""Manual resends of voicemail emails, shared by `backline deliveries retry` and the API.

A resend is a new delivery with a new Message-ID pointing at the one it repeats; the old
delivery stays as it was, so the record of what failed is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.core.extensions import jobs
from app.models import OWED_STATES, Delivery, DeliveryState, Voicemail, VoicemailStatus
from forwarding.tasks import send_voicemail_email

FAILED_STATES = (DeliveryState.FAILED, DeliveryState.BOUNCED)
IN_FLIGHT = OWED_STATES  # pending, delayed (retried by itself) or being sent


class ResendRefused(ValueError):
    """A delivery that cannot be resent; the message says why."""


class NoSuchDelivery(ResendRefused):
    pass


def retryable(session: Session, delivery_id: int) -> Delivery:
    """The delivery, if it may be resent: it exists, is not in flight, and its audio is stored."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NoSuchDelivery(f"There is no delivery {delivery_id}.")
    if delivery.state in IN_FLIGHT:
        raise ResendRefused(
            f"Delivery {delivery.id} is still {delivery.state}; it is being delivered already."
        )
    voicemail = delivery.voicemail
    if voicemail.status != VoicemailStatus.STORED or not voicemail.mp3_key:
        raise ResendRefused(
            f"Voicemail {voicemail.id} has no stored audio (status {voicemail.status}); "
            "there is nothing to resend."
        )
    return delivery


def unretried_failures(session: Session) -> Sequence[Delivery]:
    """Failed or bounced deliveries with stored audio that no resend has been made of yet."""
    resend = aliased(Delivery)
    return session.scalars(
        select(Delivery)
        .join(Voicemail, Delivery.voicemail_id == Voicemail.id)
        .where(
            Delivery.state.in_(FAILED_STATES),
            Voicemail.status == VoicemailStatus.STORED,
            ~select(resend.id).where(resend.resend_of_id == Delivery.id).exists(),
        )
        .order_by(Delivery.id)
    ).all()


def make_resend(session: Session, original: Delivery, address: str | None = None) -> Delivery:
    """Add a new pending delivery repeating `original`, to `address` if given; not committed."""
    resend = Delivery(
        voicemail_id=original.voicemail_id,
        address=parseaddr(address)[1] if address else original.address,
        resend_of_id=original.id,
    )
    session.add(resend)
    session.flush()
    return resend


def queue_resends(resends: Sequence[Delivery]) -> None:
    """Queue the send job of each resend; call after the commit that stored them."""

    for resend in resends:
        jobs.enqueue(send_voicemail_email, resend.id)
