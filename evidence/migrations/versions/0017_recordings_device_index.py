"""index on recordings.device_id: the gap chart's "has this camera docked since the gap" count

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Without it every gap of an officer with a camera read the whole recordings table (coverage.gaps._reasons).
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_recordings_device", "recordings", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_recordings_device", table_name="recordings")
