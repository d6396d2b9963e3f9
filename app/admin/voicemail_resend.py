"""Resending a voicemail from its page: a new delivery for each address it went to.

Each address's latest delivery is repeated through `forwarding.resend` (what `backline deliveries
retry` and the API use), so the same rules hold: nothing still in flight is resent, audio must
be stored, and the old deliveries stay as they were.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Delivery, Voicemail
from forwarding.resend import ResendRefused, make_resend, retryable


def resend_voicemail(session: Session, voicemail: Voicemail) -> list[Delivery]:
    """Add a resend of the latest delivery to each address; not committed.

    Raises ResendRefused when there is nothing to resend, saying why.
    """
    latest: dict[str, Delivery] = {}
    for delivery in voicemail.deliveries:  # ordered by id: the last one per address wins
        latest[delivery.address.lower()] = delivery
    if not latest:
        raise ResendRefused(
            f"Voicemail {voicemail.id} was never emailed (status {voicemail.status}); "
            "there is no delivery to repeat."
        )
    originals, refusals = [], []
    for delivery in latest.values():
        try:
            originals.append(retryable(session, delivery.id))
        except ResendRefused as exc:
            refusals.append(str(exc))
    if not originals:
        raise ResendRefused(" ".join(dict.fromkeys(refusals)))
    return [make_resend(session, original) for original in originals]
