"""The index that finds a notice's messages by state also orders them by id.

A send job claims the pending messages of one id range of its notice. With the index on
(notice, channel, state) alone, PostgreSQL read every pending message of the notice and kept
those in the range: a tenth of a second per batch at 100,000 messages, repeated for each of the
notice's batches. With the id last, it reads only the range. The new index serves every query
the old one did (the same leading columns), so the previous release keeps working while this one
rolls out; on PostgreSQL both changes run concurrently, outside the migration's transaction, so
the table is never locked for a scan.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "notice_messages"
OLD = ("ix_notice_messages_notice_id_channel_state", ["notice_id", "channel", "state"])
NEW = ("ix_notice_messages_notice_id_channel_state_id", ["notice_id", "channel", "state", "id"])


def upgrade() -> None:
    _replace(OLD, NEW)


def downgrade() -> None:
    _replace(NEW, OLD)


def _replace(old: tuple[str, list[str]], new: tuple[str, list[str]]) -> None:
    """Build `new`, then drop `old` (never a moment without one of them)."""
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(new[0], TABLE, new[1], postgresql_concurrently=True, if_not_exists=True)
            op.drop_index(old[0], table_name=TABLE, postgresql_concurrently=True, if_exists=True)
    else:
        op.create_index(new[0], TABLE, new[1])
        op.drop_index(old[0], table_name=TABLE)
