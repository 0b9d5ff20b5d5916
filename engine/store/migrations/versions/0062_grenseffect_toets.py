"""Grenseffectentoets (§ 4.2.2): each toets at a glance, with its late sides and the dossier it became.

Revision ID: 0062_grenseffect_toets
Revises: 0061_meeting_cycle
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0062_grenseffect_toets"
down_revision = "0061_meeting_cycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grenseffect_toets",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=True),
        sa.Column("assessors", sa.String(length=20), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("planned_on", sa.String(length=10), nullable=True),
        sa.Column("deadline", UTCDateTime(timezone=True), nullable=True),
        sa.Column("late", sa.String(length=20), nullable=True),
        sa.Column("conclusion", sa.String(length=40), nullable=True),
        sa.Column("concluded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("dossier_instance_id", sa.String(length=36), nullable=True),
        sa.Column("dossier_business_key", sa.String(length=200), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_index("ix_grenseffect_toets_side", "grenseffect_toets", ["side"])
    op.create_index("ix_grenseffect_toets_conclusion", "grenseffect_toets", ["conclusion"])
    op.create_index("ix_grenseffect_toets_dossier_instance_id", "grenseffect_toets", ["dossier_instance_id"])
    op.create_index("ix_grenseffect_toets_started_at", "grenseffect_toets", ["started_at"])


def downgrade() -> None:
    op.drop_table("grenseffect_toets")
