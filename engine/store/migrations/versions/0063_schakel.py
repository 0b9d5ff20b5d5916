"""Bestuurlijke schakel per dossier and stakeholder consultations (issue 19, seed § 4.4, § 5.1, § 5.3.2).

Revision ID: 0063_schakel
Revises: 0062_grenseffect_toets
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0063_schakel"
down_revision = "0062_grenseffect_toets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schakel_lid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schakel_lid_instance_id", "schakel_lid", ["instance_id"])
    op.create_index("ix_schakel_lid_username", "schakel_lid", ["username"])
    op.create_table(
        "consultatie",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("deadline", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consultatie_instance_id", "consultatie", ["instance_id"])
    op.create_table(
        "consultatie_uitnodiging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultatie_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["consultatie_id"], ["consultatie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_consultatie_uitnodiging_consultatie_id", "consultatie_uitnodiging", ["consultatie_id"])


def downgrade() -> None:
    op.drop_table("consultatie_uitnodiging")
    op.drop_table("consultatie")
    op.drop_table("schakel_lid")
