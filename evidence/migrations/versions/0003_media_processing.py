"""media processing state, probe results and derived files on recordings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

def columns() -> list[sa.Column]:
    return [
        sa.Column("processing_state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("processing_reason", sa.Text(), nullable=True),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.Column("processing_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("processing_owner", sa.String(64), nullable=True),
        sa.Column("processing_heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("container", sa.String(64), nullable=True),
        sa.Column("video_codec", sa.String(32), nullable=True),
        sa.Column("audio_codec", sa.String(32), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("frame_rate", sa.Float(), nullable=True),
        sa.Column("bitrate", sa.BigInteger(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=True),
        sa.Column("creation_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("media_info", sa.Text(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proxy_key", sa.String(200), nullable=True),
        sa.Column("proxy_kind", sa.String(16), nullable=True),
        sa.Column("proxy_method", sa.String(16), nullable=True),
        sa.Column("poster_key", sa.String(200), nullable=True),
        sa.Column("strip_key", sa.String(200), nullable=True),
        sa.Column("strip_frames", sa.Integer(), nullable=True),
        sa.Column("fixity_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixity_ok", sa.Boolean(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        for column in columns():
            batch.add_column(column)
    op.create_index("ix_recordings_processing_state", "recordings", ["processing_state"])


def downgrade() -> None:
    op.drop_index("ix_recordings_processing_state", table_name="recordings")
    with op.batch_alter_table("recordings") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
