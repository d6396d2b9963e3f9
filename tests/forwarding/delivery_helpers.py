"""Voicemail deliveries as the email delivery tests store them and read them back."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from app.core.extensions import db, storage
from app.models import Delivery, DeliveryAttempt, Voicemail, VoicemailStatus, utcnow
from tests.conftest import ACCOUNT_SID

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400)  # stands in for audio: delivery is the point
SENDER_DOMAIN = "provider.example"  # the test settings' MAIL_FROM domain


def new_delivery(address: str = "office@acme.example") -> int:
    """A stored voicemail (its MP3 in storage) with one pending delivery; returns its id."""
    recording_sid = "RE" + secrets.token_hex(16)
    key = f"voicemails/test/{recording_sid}.mp3"
    storage().put(key, MP3, "audio/mpeg")
    voicemail = Voicemail(
        recording_sid=recording_sid,
        account_sid=ACCOUNT_SID,
        call_sid="CA" + secrets.token_hex(16),
        caller_number="+14155550123",
        duration_ms=4000,
        status=VoicemailStatus.STORED,
        mp3_key=key,
        processed_at=utcnow(),
    )
    delivery = Delivery(voicemail=voicemail, address=address)
    db.session.add_all([voicemail, delivery])
    db.session.commit()
    return delivery.id


def stored(delivery_id: int) -> Delivery:
    """The delivery as the database holds it now."""
    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    return delivery


def attempts(delivery_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    ).all()
    return [(a.provider, a.outcome) for a in rows]
