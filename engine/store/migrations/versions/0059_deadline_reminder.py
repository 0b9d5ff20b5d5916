"""Deadline reminders: which task deadlines were announced by mail, so none is announced twice.

Revision ID: 0059_deadline_reminder
Revises: 0058_mail_notifications
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0059_deadline_reminder"
down_revision = "0058_mail_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_reminder",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "due_at"),
    )


def downgrade() -> None:
    op.drop_table("deadline_reminder")
