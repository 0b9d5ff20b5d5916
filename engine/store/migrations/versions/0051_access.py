"""Authorization read at deploy (starters, callers, message senders on the definition), a locked counter
for business keys, and one dossier per webhook source reference.

Definitions deployed before this read as "no attribute" (overseers only) until their models are deployed
again. A counter never hands out a number below the highest key already in use, so existing dossier
numbers need no seeding.

Revision ID: 0051_access
Revises: 0050_history_cleanup
"""
import sqlalchemy as sa
from alembic import op

revision = "0051_access"
down_revision = "0050_history_cleanup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("process_definition", sa.Column("starters", sa.JSON(), nullable=True))
    op.add_column("process_definition", sa.Column("startable", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("process_definition", sa.Column("calls", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("process_definition", sa.Column("senders", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "webhook_reference",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source", "reference"),
    )
    op.create_index("ix_webhook_reference_instance_id", "webhook_reference", ["instance_id"])


def downgrade() -> None:
    op.drop_table("webhook_reference")
    op.drop_table("counter")
    # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): a batch copy would trip over the foreign keys
    for column in ("senders", "calls", "startable", "starters"):
        op.execute(f"ALTER TABLE process_definition DROP COLUMN {column}")
