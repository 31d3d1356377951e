"""explanations of missing and partial events, and the supervisor's decisions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("police_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["enforcement_events.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_explanations_event_id", "event_explanations", ["event_id"])
    op.create_index("uq_explanations_open", "event_explanations", ["event_id", "police_id"], unique=True,
                    postgresql_where=sa.text("state <> 'rejected'"), sqlite_where=sa.text("state <> 'rejected'"))


def downgrade() -> None:
    op.drop_index("uq_explanations_open", table_name="event_explanations")
    op.drop_index("ix_event_explanations_event_id", table_name="event_explanations")
    op.drop_table("event_explanations")
