"""login throttling, token revocation, raw (non-UTF-8) camera file names

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),
    )
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index("ix_login_throttles_locked_until", ["locked_until"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("original_filename_hex", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("original_filename_hex")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
    with op.batch_alter_table("login_throttles") as batch:
        batch.drop_index("ix_login_throttles_locked_until")
    op.drop_table("login_throttles")
