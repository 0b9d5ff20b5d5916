"""The parliament progress report per Top, approved by both sides and kept as rendered (issue 11, § 6.2.2).

Revision ID: 0064_parliament_report
Revises: 0063_schakel
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0064_parliament_report"
down_revision = "0063_schakel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parliament_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("approved_nl_by", sa.String(length=100), nullable=True),
        sa.Column("approved_vl_by", sa.String(length=100), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
        sa.UniqueConstraint("instance_id"),
    )


def downgrade() -> None:
    op.drop_table("parliament_report")
