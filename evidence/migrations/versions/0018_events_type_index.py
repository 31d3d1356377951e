"""index on enforcement_events (event_type, started_at, unit_id, case_no): one type's events of a period

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

The accident cases without recording (the home page's to-do count and its list) group a period's
accident events by case number. Without it SQLite walked every event of the month in start order
and read each row for its type (180 ms for a brigade month; 45 ms with it, the index covering the
columns the grouping reads).
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_type_start", "enforcement_events", ["event_type", "started_at", "unit_id", "case_no"])


def downgrade() -> None:
    op.drop_index("ix_events_type_start", table_name="enforcement_events")
