"""The embedded default for SMS: a text file any editor opens, like the Maildir outbox for mail.

Used in development when Twilio is only the local stand-in and no sender is set, so that
`backline outage start` on a laptop shows the SMS it would send instead of failing against a
Twilio that is not there. One line per SMS: time, number, text.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from app.models import utcnow
from forwarding.sms import SmsProviderError


class OutboxSms:
    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, to: str, body: str) -> str:
        message_id = "OB" + secrets.token_hex(16)
        line = f"{utcnow():%Y-%m-%dT%H:%M:%SZ}\t{to}\t{' '.join(body.split())}\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(line)
        except OSError as exc:
            raise SmsProviderError(f"could not write to the SMS outbox: {exc}") from exc
        return message_id
