"""Notice Message-IDs with a stored random part; an index to see what a mail provider last did.

Additive only: a nullable column the previous release never writes (its rows keep a Message-ID
derived from their creation time) and an index it does not need. On PostgreSQL the index is
built concurrently, outside the migration's transaction, so attempts are never locked for a scan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ATTEMPTS_INDEX = "ix_delivery_attempts_provider_outcome_at"
ATTEMPTS_COLUMNS = ["provider", "outcome", "at"]


def upgrade() -> None:
    op.add_column("notice_messages", sa.Column("random_id", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(
                ATTEMPTS_INDEX,
                "delivery_attempts",
                ATTEMPTS_COLUMNS,
                postgresql_concurrently=True,
                if_not_exists=True,
            )
    else:
        op.create_index(ATTEMPTS_INDEX, "delivery_attempts", ATTEMPTS_COLUMNS)


def downgrade() -> None:
    op.drop_index(ATTEMPTS_INDEX, table_name="delivery_attempts")
    op.drop_column("notice_messages", "random_id")
