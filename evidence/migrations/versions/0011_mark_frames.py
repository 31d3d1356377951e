"""clip marks also name the frame they fall on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_recordings") as batch:
        batch.add_column(sa.Column("mark_in_frame", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mark_out_frame", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_recordings") as batch:
        batch.drop_column("mark_out_frame")
        batch.drop_column("mark_in_frame")
