"""access requests keep the id asked for, whether or not it exists

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.add_column(sa.Column("asked_recording_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("asked_case_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.drop_column("asked_case_id")
        batch.drop_column("asked_recording_id")
