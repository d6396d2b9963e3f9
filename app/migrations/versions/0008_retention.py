"""Retention: voicemails marked for erasure and purged, calls whose caller was anonymised.

Additive only: nullable columns the previous release never reads, so it keeps working while this
one rolls out. On PostgreSQL the indexes are built concurrently, outside the migration's
transaction, so voicemails and calls are never locked for a scan.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

VOICEMAIL_COLUMNS = (
    ("purge_requested_at", sa.DateTime(timezone=True)),
    ("purged_at", sa.DateTime(timezone=True)),
    ("purge_error", sa.Text()),
)
INDEXES = (
    ("ix_voicemails_purge_requested_at", "voicemails", ["purge_requested_at"]),
    ("ix_voicemails_purged_at_recorded_at", "voicemails", ["purged_at", "recorded_at"]),
    ("ix_calls_purged_at_created_at", "calls", ["purged_at", "created_at"]),
)


def upgrade() -> None:
    for name, column_type in VOICEMAIL_COLUMNS:
        op.add_column("voicemails", sa.Column(name, column_type, nullable=True))
    op.add_column("calls", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name, table, columns in INDEXES:
                op.create_index(
                    name, table, columns, postgresql_concurrently=True, if_not_exists=True
                )
    else:
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("calls", "purged_at")
    for name, _type in reversed(VOICEMAIL_COLUMNS):
        op.drop_column("voicemails", name)
