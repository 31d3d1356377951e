"""indexes for the evidence library: filters and sorts of a page of 50 at 100,000 recordings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (name, columns): each a filter with the default sort (newest first), or a sortable column.
INDEXES = [
    ("ix_recordings_kind_start", ["media_kind", "started_at"]),
    ("ix_recordings_state_start", ["processing_state", "started_at"]),
    ("ix_recordings_device_start", ["device_serial", "started_at"]),
    ("ix_recordings_important_start", ["important", "started_at"]),
    ("ix_recordings_duration", ["duration_seconds"]),
    ("ix_recordings_size", ["size_bytes"]),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "recordings", columns)


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="recordings")
