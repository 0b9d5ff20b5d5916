"""Instance summaries: the phase an instance is in and since when, with headline variables, for the monitor.

Revision ID: 0040_monitor
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0040_monitor"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_summary",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=200), nullable=True),
        sa.Column("phase_since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("agendered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_index("ix_instance_summary_phase", "instance_summary", ["phase", "phase_since"])
    op.create_index("ix_instance_summary_theme", "instance_summary", ["theme"])


def downgrade() -> None:
    op.drop_table("instance_summary")
