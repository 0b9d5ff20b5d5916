"""Mail notifications: each person's choice per kind of news, and the mail outbox the scheduler sends.

Revision ID: 0058_mail_notifications
Revises: 0057_task_claimed_at
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0058_mail_notifications"
down_revision = "0057_task_claimed_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_choice",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("username", "kind"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("send_after", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["sent_at", "send_after"])


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_table("notification_choice")
