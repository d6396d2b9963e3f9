"""Menu choices and dial results on calls, per-language outage messages, primary failures.

Every new column is nullable or has a server default, so the previous release keeps working
while this one rolls out.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "primary_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_primary_failures")),
    )
    op.create_index(op.f("ix_primary_failures_at"), "primary_failures", ["at"])
    op.add_column("calls", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column(
        "calls", sa.Column("menu_choices", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("calls", sa.Column("dial_status", sa.String(length=32), nullable=True))
    op.add_column("calls", sa.Column("sip_code", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("error_code", sa.String(length=16), nullable=True))
    op.add_column("calls", sa.Column("duration", sa.Integer(), nullable=True))
    for column in ("caller_messages", "subscriber_messages"):
        op.add_column("outages", sa.Column(column, sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    for column in ("subscriber_messages", "caller_messages"):
        op.drop_column("outages", column)
    for column in ("duration", "error_code", "sip_code", "dial_status", "menu_choices", "language"):
        op.drop_column("calls", column)
    op.drop_index(op.f("ix_primary_failures_at"), table_name="primary_failures")
    op.drop_table("primary_failures")
