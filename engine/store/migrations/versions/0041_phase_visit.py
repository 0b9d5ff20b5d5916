"""Phase visits: each stay of an instance in a phase, for lead times and phase counts over time.

Revision ID: 0041_phase_visit
Revises: 0040_monitor
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0041_phase_visit"
down_revision = "0040_monitor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phase_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=200), nullable=False),
        sa.Column("entered_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phase_visit_instance_id", "phase_visit", ["instance_id"])
    op.create_index("ix_phase_visit_phase", "phase_visit", ["phase", "entered_at"])


def downgrade() -> None:
    op.drop_table("phase_visit")
