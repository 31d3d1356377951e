"""wrong camera clocks (flag, estimate, per-camera offset) and where a serial came from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("clock_offset_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("clock_offset_set_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("serial_source", sa.String(length=16), nullable=True))
        # the server default (as 0005 keeps for legal_hold) lets bulk loads that name no such column work
        batch.add_column(sa.Column("clock_implausible", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("clock_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("clock_corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at_estimated", sa.DateTime(timezone=True), nullable=True))
    # coverage reads the few clock-corrected recordings of an officer apart from the time range
    op.create_index("ix_recordings_clock_corrected_at", "recordings", ["clock_corrected_at"])


def downgrade() -> None:
    op.drop_index("ix_recordings_clock_corrected_at", table_name="recordings")
    with op.batch_alter_table("recordings") as batch:
        for name in ("started_at_estimated", "clock_corrected_at", "clock_note", "clock_implausible", "serial_source"):
            batch.drop_column(name)
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("clock_offset_set_at")
        batch.drop_column("clock_offset_seconds")
