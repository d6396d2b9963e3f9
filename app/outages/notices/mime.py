"""The headers that identify a notice email; its body is written by app.core.mime.

They follow RFC 5322 as written today: a numeric Date zone (`+0000`, never the obsolete
`GMT`), a Message-ID no other installation can produce (a random part stored with the message,
so a resend keeps it), and a List-Id (RFC 2919) that mail filters can key on.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parseaddr


def identify(
    email: Message, ids: tuple[int, int], random_id: str | None, made: datetime, mail_from: str
) -> None:
    """Set Date (now), Message-ID and List-Id on the notice email of message `ids`.

    `ids` are the notice's and the message's row ids; `random_id` is the message's stored random
    part. A row made before it was stored has none: its creation time, to the microsecond,
    stands in for it (stored too, so a resend still keeps the ID).
    """
    domain = _domain(mail_from)
    unique = random_id or made.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    email["Date"] = _date(int(time.time()))
    email["Message-ID"] = f"<notice.{ids[0]}.{ids[1]}.{unique}@{domain}>"
    email["List-Id"] = f"Outage notices <outage-notices.{domain}>"


@functools.lru_cache(maxsize=2)
def _date(second: int) -> str:
    """The Date header for this whole second: a batch's messages share it, formatted once."""
    return format_datetime(datetime.fromtimestamp(second, UTC))


@functools.cache
def _domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "backline.invalid"
