"""The message rows of a fan-out chunk: one per (channel, normalised address), merged in SQL.

An address met again in a later chunk or another range (a business with forty numbers and one
address) joins the numbers of the message it already has, and a repeated chunk changes nothing:
the unique (notice, channel, address) constraint and the merge make a row exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import literal_column, text
from sqlalchemy.orm import Session

from app.core.database import insert_on_conflict
from app.models import Channel, MessageState, NoticeMessage, utcnow
from app.models.notice import new_random_id

# The union, in order, of a message's numbers and a later chunk's (the two databases spell it
# differently; both keep subscriber_ids a sorted JSON array of distinct ids).
_MERGED_IDS = {
    "postgresql": (
        "(SELECT json_agg(id ORDER BY id) FROM ("
        "SELECT value::int AS id FROM json_array_elements_text(notice_messages.subscriber_ids)"
        " UNION SELECT value::int FROM json_array_elements_text(excluded.subscriber_ids)"
        ") AS ids)"
    ),
    "sqlite": (
        "(SELECT json_group_array(id) FROM ("
        "SELECT value AS id FROM json_each(notice_messages.subscriber_ids)"
        " UNION SELECT value FROM json_each(excluded.subscriber_ids) ORDER BY id))"
    ),
}


@dataclass
class Recipient:
    subscriber_ids: list[int] = field(default_factory=list)
    language: str | None = None
    timezone: str | None = None


def recipients(rows: Iterable[Any], with_sms: bool = True) -> dict[tuple[str, str], Recipient]:
    """Group subscribers by (channel, normalised address); the first one sets language and zone.

    Without an SMS provider configured, no SMS is made: progress then shows none pending.
    """
    grouped: dict[tuple[str, str], Recipient] = {}
    email, sms = Channel.EMAIL.value, Channel.SMS.value  # looked up once, not once a row
    for row in rows:
        addresses = [(email, address.strip().lower()) for address in row.emails or ()]
        if row.backup_number and with_sms:
            addresses.append((sms, row.backup_number))
        for key in addresses:
            if not key[1]:
                continue
            recipient = grouped.get(key)
            if recipient is None:
                grouped[key] = recipient = Recipient(language=row.language, timezone=row.timezone)
            recipient.subscriber_ids.append(row.id)
    return grouped


def write_messages(
    session: Session, notice_id: int, grouped: dict[tuple[str, str], Recipient]
) -> None:
    """Insert this chunk's messages; one an earlier chunk made gains this chunk's numbers.

    One INSERT … ON CONFLICT DO UPDATE for the whole chunk, merging the numbers in SQL: no
    lookups, and a repeated chunk changes nothing. Rows go in address order, so two ranges
    sharing addresses lock them in the same order (no deadlock). On PostgreSQL the chunk goes
    as arrays, unnested into one statement (a row a statement, even pipelined, cost the worker
    and the database twice as much); elsewhere as an executemany.
    """
    if not grouped:
        return
    dialect = session.get_bind().dialect.name
    rows = [
        {
            "notice_id": notice_id,
            "channel": channel,
            "address": address,
            "subscriber_ids": recipient.subscriber_ids,
            "language": recipient.language,
            "timezone": recipient.timezone,
        }
        for (channel, address), recipient in sorted(grouped.items())
    ]
    if dialect == "postgresql":
        session.execute(_INSERT_FROM_ARRAYS, _as_arrays(notice_id, rows))
        return
    statement = insert_on_conflict(dialect, NoticeMessage.__table__)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["notice_id", "channel", "address"],
            set_={"subscriber_ids": literal_column(_MERGED_IDS[dialect])},
        ),
        rows,
    )


def _as_arrays(notice_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The chunk's columns as arrays, with what the model would fill in for a new message."""
    columns = {name: [row[name] for row in rows] for name in ARRAY_COLUMNS}
    columns["subscriber_ids"] = [json.dumps(ids) for ids in columns["subscriber_ids"]]
    columns["random_id"] = [new_random_id() for _ in rows]
    return columns | {
        "notice_id": notice_id,
        "state": str(MessageState.PENDING),
        "created_at": utcnow(),
    }


ARRAY_COLUMNS = ("channel", "address", "subscriber_ids", "language", "timezone")
_INSERT_FROM_ARRAYS = text(
    f"""
    INSERT INTO notice_messages (notice_id, channel, address, subscriber_ids, language,
        timezone, random_id, state, attempts, retried_on_fallback, created_at)
    SELECT :notice_id, m.channel, m.address, m.subscriber_ids, m.language, m.timezone,
        m.random_id, :state, 0, false, :created_at
    FROM unnest(
        CAST(:channel AS varchar[]), CAST(:address AS varchar[]), CAST(:subscriber_ids AS json[]),
        CAST(:language AS varchar[]), CAST(:timezone AS varchar[]), CAST(:random_id AS varchar[])
    ) WITH ORDINALITY AS m(channel, address, subscriber_ids, language, timezone, random_id, n)
    ORDER BY m.n
    ON CONFLICT (notice_id, channel, address)
    DO UPDATE SET subscriber_ids = {_MERGED_IDS["postgresql"]}
    """
)
