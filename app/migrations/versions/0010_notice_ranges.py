"""Notice fan-out split into subscriber-id ranges that any worker can take.

Additive only: a new table the previous release never reads (its fan-out keeps using
`notices.cursor`, which stays until the release after this one). The table is created empty,
with its primary key as its only index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_ranges",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_ranges_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", "first_id", name=op.f("pk_notice_ranges")),
    )


def downgrade() -> None:
    op.drop_table("notice_ranges")
