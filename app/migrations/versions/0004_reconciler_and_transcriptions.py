"""The reconciler's watermark, transcriptions, caller names, deletion from Twilio.

Additive only: the previous release keeps working while this one rolls out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VOICEMAIL_COLUMNS = (
    ("caller_name", sa.String(length=100)),
    ("transcription_status", sa.String(length=16)),
    ("transcription_text", sa.Text()),
    ("deleted_from_twilio_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )
    for name, column_type in VOICEMAIL_COLUMNS:
        op.add_column("voicemails", sa.Column(name, column_type, nullable=True))
    op.add_column("calls", sa.Column("caller_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("calls", "caller_name")
    for name, _type in reversed(VOICEMAIL_COLUMNS):
        op.drop_column("voicemails", name)
    op.drop_table("job_state")
