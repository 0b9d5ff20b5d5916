"""Migration batches: a plan executed in the background, with its progress.

Revision ID: 0054_migration_batch
Revises: 0053_kennisbank
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0054_migration_batch"
down_revision = "0053_kennisbank"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "migration_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_definition_id", sa.Integer(), nullable=False),
        sa.Column("target_definition_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("instance_ids", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["source_definition_id"], ["process_definition.id"]),
        sa.ForeignKeyConstraint(["target_definition_id"], ["process_definition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("migration_batch")
