"""Initial schema: subscribers, outages and their audit log, calls, voicemails, deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("caller_message", sa.Text(), nullable=True),
        sa.Column("subscriber_message", sa.Text(), nullable=True),
        sa.Column("etr", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope_regions", sa.JSON(), nullable=False),
        sa.Column("scope_numbers", sa.JSON(), nullable=False),
        sa.Column("scope_plans", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index(op.f("ix_outages_state"), "outages", ["state"])
    op.create_index(op.f("ix_outages_updated_at"), "outages", ["updated_at"])

    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("plan", sa.String(length=50), nullable=True),
        sa.Column("region", sa.String(length=50), nullable=True),
        sa.Column("backup_number", sa.String(length=20), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("number", name=op.f("uq_subscribers_number")),
    )
    op.create_index(op.f("ix_subscribers_plan"), "subscribers", ["plan"])
    op.create_index(op.f("ix_subscribers_region"), "subscribers", ["region"])

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("outage_id", sa.Integer(), nullable=True),
        sa.Column("from_number", sa.String(length=64), nullable=True),
        sa.Column("to_number", sa.String(length=64), nullable=True),
        sa.Column("forwarded_from", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outage_id"], ["outages.id"], name=op.f("fk_calls_outage_id_outages")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscribers.id"], name=op.f("fk_calls_subscriber_id_subscribers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_calls_call_sid")),
    )
    op.create_index(op.f("ix_calls_created_at"), "calls", ["created_at"])
    op.create_index(op.f("ix_calls_outage_id"), "calls", ["outage_id"])
    op.create_index(op.f("ix_calls_subscriber_id"), "calls", ["subscriber_id"])

    op.create_table(
        "outage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outage_id"], ["outages.id"], name=op.f("fk_outage_events_outage_id_outages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage_events")),
    )
    op.create_index(op.f("ix_outage_events_outage_id"), "outage_events", ["outage_id"])

    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("idempotency_token", sa.String(length=128), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("outage_id", sa.Integer(), nullable=True),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("reported_duration", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("original_key", sa.String(length=255), nullable=True),
        sa.Column("mp3_key", sa.String(length=255), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_voicemails_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["outage_id"], ["outages.id"], name=op.f("fk_voicemails_outage_id_outages")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_voicemails_subscriber_id_subscribers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("idempotency_token", name=op.f("uq_voicemails_idempotency_token")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_voicemails_recording_sid")),
    )
    op.create_index(op.f("ix_voicemails_call_id"), "voicemails", ["call_id"])
    op.create_index(op.f("ix_voicemails_call_sid"), "voicemails", ["call_sid"])
    op.create_index(op.f("ix_voicemails_outage_id"), "voicemails", ["outage_id"])
    op.create_index(op.f("ix_voicemails_status"), "voicemails", ["status"])
    op.create_index(op.f("ix_voicemails_subscriber_id"), "voicemails", ["subscriber_id"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voicemail_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["voicemail_id"], ["voicemails.id"], name=op.f("fk_deliveries_voicemail_id_voicemails")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_deliveries_message_id")),
    )
    op.create_index(op.f("ix_deliveries_state"), "deliveries", ["state"])
    op.create_index(op.f("ix_deliveries_voicemail_id"), "deliveries", ["voicemail_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_voicemail_id"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_state"), table_name="deliveries")

    op.drop_table("deliveries")
    op.drop_index(op.f("ix_voicemails_subscriber_id"), table_name="voicemails")
    op.drop_index(op.f("ix_voicemails_status"), table_name="voicemails")
    op.drop_index(op.f("ix_voicemails_outage_id"), table_name="voicemails")
    op.drop_index(op.f("ix_voicemails_call_sid"), table_name="voicemails")
    op.drop_index(op.f("ix_voicemails_call_id"), table_name="voicemails")

    op.drop_table("voicemails")
    op.drop_index(op.f("ix_outage_events_outage_id"), table_name="outage_events")

    op.drop_table("outage_events")
    op.drop_index(op.f("ix_calls_subscriber_id"), table_name="calls")
    op.drop_index(op.f("ix_calls_outage_id"), table_name="calls")
    op.drop_index(op.f("ix_calls_created_at"), table_name="calls")

    op.drop_table("calls")
    op.drop_index(op.f("ix_subscribers_region"), table_name="subscribers")
    op.drop_index(op.f("ix_subscribers_plan"), table_name="subscribers")

    op.drop_table("subscribers")
    op.drop_index(op.f("ix_outages_updated_at"), table_name="outages")
    op.drop_index(op.f("ix_outages_state"), table_name="outages")

    op.drop_table("outages")
