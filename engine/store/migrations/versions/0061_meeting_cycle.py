"""The meeting cycle and the region's notices: an agenda item is a new proposal for agendering or an agendered dossier's progress
(§ 5.2.5, § 5.3.3), the civil-service border meeting's proposal is kept beside the ministers' judgement,
each meeting knows the cycle instance that runs it, and "ter informatie" notices per group with each
member's dismissal (§ 5.2.5).

Revision ID: 0061_meeting_cycle
Revises: 0060_history_and_variables
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0061_meeting_cycle"
down_revision = "0060_history_and_variables"
branch_labels = None
depends_on = "0030_scheduler"  # the meeting tables live on that branch


def upgrade() -> None:
    op.add_column("meeting_item", sa.Column("kind", sa.String(length=20), nullable=False,
                                            server_default="voortgang"))
    op.add_column("meeting_item", sa.Column("proposal", sa.JSON(), nullable=True))
    op.add_column("meeting", sa.Column("cycle_instance_id", sa.String(length=36), nullable=True))
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notice_group", "notice", ["group"])
    op.create_index("ix_notice_created_at", "notice", ["created_at"])
    op.create_table(
        "notice_dismissal",
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("username", sa.String(length=100), primary_key=True),
        sa.Column("dismissed_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notice_dismissal")
    op.drop_table("notice")
    # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): a batch copy would trip over the foreign keys
    op.execute("ALTER TABLE meeting DROP COLUMN cycle_instance_id")
    op.execute("ALTER TABLE meeting_item DROP COLUMN proposal")
    op.execute("ALTER TABLE meeting_item DROP COLUMN kind")
