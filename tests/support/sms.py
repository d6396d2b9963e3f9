"""Notice SMS in the tests: an app set up for SMS against the Twilio stand-in and moto's SNS, and
pending messages to send through it.

`SmsSetup.configure(**overrides)` makes an app with Twilio (`SMS_FROM`) first and SNS second, and
jobs in a thread of this process (with REDIS_URL set, a queued job would run in the suite's worker,
which has no SMS settings). Messages hang off a real outage's start notice.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import select

from app import create_app
from app.core.extensions import db, jobs
from app.models import Channel, Notice, NoticeKind, NoticeMessage, OptOut, Outage
from app.outages.lifecycle import Scope, start_outage
from app.twilio.simulator.media_server import MediaServer
from tests.support.aws import SnsServer

SENDER = "+14155550000"


class SmsSetup:
    """Apps configured for SMS, pushed for the rest of the test; `close()` pops them."""

    def __init__(self, settings: dict[str, Any], media: MediaServer, sns: SnsServer) -> None:
        self.settings, self.media, self.sns = settings, media, sns
        self._contexts: list[Any] = []
        media.state.sms.reset()
        media.state.messages.clear()

    def configure(self, **overrides: Any) -> Flask:
        """An app whose SMS goes to Twilio (the stand-in) and then SNS (moto); others override."""
        app = create_app(
            {
                **self.settings,
                "REDIS_URL": None,
                "SMS_FROM": SENDER,
                "SMS_FALLBACK_URL": f"sns://{self.sns.region}",
                **overrides,
            }
        )
        context = app.app_context()
        context.push()
        self._contexts.append(context)
        return app

    def close(self) -> None:
        from tests.conftest import dispose_engines

        for context in reversed(self._contexts):
            jobs.wait_idle(30)
            app = context.app
            context.pop()
            dispose_engines(app)
        self.media.state.sms.reset()

    def twilio_sent(self, to: str) -> list[dict[str, Any]]:
        """The SMS the Twilio stand-in accepted for this number."""
        return [m for m in self.media.state.messages.values() if m["to"] == to]


def unique_mobile() -> str:
    """A number no other test used (moto keeps every SMS SNS sent for the whole session)."""
    while True:
        number = f"+1415{secrets.randbelow(10**7):07d}"
        if not number.endswith("99"):  # moto takes those to have opted out
            return number


def new_notice() -> Notice:
    """The start notice of a new outage (made by start_outage, or here if it makes none)."""
    session = db.session()
    outage: Outage = start_outage(
        session, actor="test", scope=Scope([], [], []), subscriber_message="Calls go to voicemail."
    )
    session.commit()
    notice = session.scalar(select(Notice).where(Notice.outage_id == outage.id))
    if notice is None:
        notice = Notice(outage_id=outage.id, event_id=outage.events[0].id, kind=NoticeKind.START)
        session.add(notice)
        session.commit()
    return notice


def pending_sms(address: str, notice: Notice | None = None) -> NoticeMessage:
    """A pending SMS to `address`, as fan-out would leave it."""
    notice = notice or new_notice()
    message = NoticeMessage(notice_id=notice.id, channel=Channel.SMS, address=address)
    db.session.add(message)
    db.session.commit()
    return message


def stored(message_id: int) -> NoticeMessage:
    """The message as the database holds it now."""
    db.session.expire_all()
    return db.session.get_one(NoticeMessage, message_id)


def opt_out_of(address: str) -> OptOut | None:
    db.session.expire_all()
    return db.session.get(OptOut, (Channel.SMS.value, address))


@contextlib.contextmanager
def sms_setup(settings: dict[str, Any], media: MediaServer, sns: SnsServer) -> Iterator[SmsSetup]:
    setup = SmsSetup(settings, media, sns)
    try:
        yield setup
    finally:
        setup.close()
