"""pin the verified S3 version of each original

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("object_version", sa.String(length=1024), nullable=True))
    with op.batch_alter_table("upload_sessions") as batch:
        batch.add_column(sa.Column("object_version", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload_sessions") as batch:
        batch.drop_column("object_version")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("object_version")
