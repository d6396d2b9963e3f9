"""Delivery attempts (every try with its provider and answer) and manual resends.

Additive only: a new table, and a nullable column on deliveries, so the previous release keeps
working while this one rolls out. On PostgreSQL the foreign key is added NOT VALID and validated
afterwards, and the index is built concurrently, so deliveries are never locked for a scan.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RESEND_FK = "fk_deliveries_resend_of_id_deliveries"
RESEND_INDEX = "ix_deliveries_resend_of_id"


def upgrade() -> None:
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(op.f("ix_delivery_attempts_delivery_id"), "delivery_attempts", ["delivery_id"])
    if op.get_bind().dialect.name == "postgresql":
        _add_resend_column_postgresql()
    else:
        with op.batch_alter_table("deliveries") as batch:
            batch.add_column(sa.Column("resend_of_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(RESEND_FK, "deliveries", ["resend_of_id"], ["id"])
        op.create_index(RESEND_INDEX, "deliveries", ["resend_of_id"])


def _add_resend_column_postgresql() -> None:
    op.add_column("deliveries", sa.Column("resend_of_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        RESEND_FK, "deliveries", "deliveries", ["resend_of_id"], ["id"], postgresql_not_valid=True
    )
    op.execute(f"ALTER TABLE deliveries VALIDATE CONSTRAINT {RESEND_FK}")
    with op.get_context().autocommit_block():
        op.create_index(
            RESEND_INDEX,
            "deliveries",
            ["resend_of_id"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    op.drop_index(RESEND_INDEX, table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(RESEND_FK, type_="foreignkey")
        batch.drop_column("resend_of_id")
    op.drop_index(op.f("ix_delivery_attempts_delivery_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
