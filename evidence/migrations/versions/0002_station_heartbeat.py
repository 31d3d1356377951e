"""station heartbeat fields

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("agent_version", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("spool_used_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("spool_free_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("queue_length", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        for column in ("last_error", "queue_length", "spool_free_bytes", "spool_used_bytes", "agent_version",
                       "heartbeat_at"):
            batch.drop_column(column)
