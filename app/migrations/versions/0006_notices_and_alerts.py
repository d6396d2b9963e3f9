"""Notices and their messages, opt-outs, Alertmanager alerts; outage confirmation and report.

Additive only: new tables the previous release never reads, and nullable columns it ignores.
The new tables' indexes are built with the tables, while they are still empty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OUTAGE_COLUMNS = (
    ("confirmed_at", sa.DateTime(timezone=True)),
    ("confirmed_by", sa.String(length=200)),
    ("report", sa.Text()),
    ("report_published_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, column_type in OUTAGE_COLUMNS:
        op.add_column("outages", sa.Column(name, column_type, nullable=True))
    op.add_column(
        "subscribers",
        sa.Column("status_links_revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    _create_notices()
    _create_notice_messages()
    op.create_table(
        "opt_outs",
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_opt_outs")),
    )
    _create_alerts()


def _create_notices() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outage_id"], ["outages.id"], name=op.f("fk_notices_outage_id_outages")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outage_events.id"], name=op.f("fk_notices_event_id_outage_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("event_id", name=op.f("uq_notices_event_id")),
    )
    op.create_index(op.f("ix_notices_outage_id"), "notices", ["outage_id"])
    op.create_index(op.f("ix_notices_state"), "notices", ["state"])


def _create_notice_messages() -> None:
    op.create_table(
        "notice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subscriber_ids", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_id", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("retried_on_fallback", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_messages_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_messages")),
        sa.UniqueConstraint(
            "notice_id",
            "channel",
            "address",
            name=op.f("uq_notice_messages_notice_id"),
        ),
    )
    op.create_index(
        "ix_notice_messages_notice_id_channel_state",
        "notice_messages",
        ["notice_id", "channel", "state"],
    )
    op.create_index(op.f("ix_notice_messages_provider_id"), "notice_messages", ["provider_id"])


def _create_alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=True),
        sa.Column("ignored_reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outage_id"], ["outages.id"], name=op.f("fk_alerts_outage_id_outages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("fingerprint", "starts_at", name=op.f("uq_alerts_fingerprint")),
    )
    op.create_index(op.f("ix_alerts_outage_id"), "alerts", ["outage_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alerts_outage_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("opt_outs")
    op.drop_index(op.f("ix_notice_messages_provider_id"), table_name="notice_messages")
    op.drop_index("ix_notice_messages_notice_id_channel_state", table_name="notice_messages")
    op.drop_table("notice_messages")
    op.drop_index(op.f("ix_notices_state"), table_name="notices")
    op.drop_index(op.f("ix_notices_outage_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_column("subscribers", "status_links_revoked_at")
    for name, _ in reversed(OUTAGE_COLUMNS):
        op.drop_column("outages", name)
