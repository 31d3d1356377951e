"""assessment weights, each set with the day it takes effect

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("on_time", sa.Float(), nullable=False),
        sa.Column("event_link", sa.Float(), nullable=False),
        sa.Column("case_link", sa.Float(), nullable=False),
        sa.Column("review_pass", sa.Float(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("effective_from"),
    )


def downgrade() -> None:
    op.drop_table("assessment_weights")
