"""coverage and recording counts per day (home page and explorer read these), indexes for one officer's events and for flagged recordings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

The counts are derived data: the upgrade fills them from the stored coverage
(day_counts.rebuild, recording_counts.rebuild), so an existing database reads the same figures as before.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_day_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=24), nullable=False),
        sa.Column("roadside", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late_upload", sa.Boolean(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_day_counts_day_unit", "coverage_day_counts", ["day", "unit_id"])
    op.create_table(
        "coverage_day_officer_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("police_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_day_officer_counts_day_unit", "coverage_day_officer_counts", ["day", "unit_id"])
    op.create_index("ix_day_officer_counts_officer_day", "coverage_day_officer_counts", ["police_id", "day"])
    op.create_table(
        "recording_day_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Integer(), nullable=False),
        sa.Column("verified_seconds", sa.Float(), nullable=False),
        sa.Column("arrived", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("unlinked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recording_day_counts_day_unit", "recording_day_counts", ["day", "unit_id"])
    op.create_index("ix_event_officers_police", "event_officers", ["police_id", "event_id"])
    op.create_index("ix_officer_coverage_police", "event_officer_coverage", ["police_id", "status"])
    op.create_index("ix_recordings_clock_unplaced", "recordings", ["officer_id"],
                    postgresql_where=sa.text("clock_implausible AND clock_corrected_at IS NULL"),
                    sqlite_where=sa.text("clock_implausible = 1 AND clock_corrected_at IS NULL"))
    from sqlalchemy.orm import Session

    from evidence.coverage import day_counts, recording_counts
    session = Session(bind=op.get_bind())
    day_counts.rebuild(session)
    recording_counts.rebuild(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_recordings_clock_unplaced", "recordings")
    op.drop_index("ix_officer_coverage_police", "event_officer_coverage")
    op.drop_index("ix_event_officers_police", "event_officers")
    op.drop_table("recording_day_counts")
    op.drop_table("coverage_day_officer_counts")
    op.drop_table("coverage_day_counts")
