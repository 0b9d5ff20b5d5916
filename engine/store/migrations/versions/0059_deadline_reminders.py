"""Deadline reminders: which task deadlines were announced by mail, so none is announced twice; and for a
boundary timer the activity it is attached to, so its moment counts as that task's deadline.

Revision ID: 0059_deadline_reminders
Revises: 0058_mail_notifications
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0059_deadline_reminders"
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
    op.add_column("timer", sa.Column("attached_task_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("timer", "attached_task_id")
    op.drop_table("deadline_reminder")
