"""Indexes for the inbox lists at 100,000 waiting tasks, each already in the order of one of the list's
sorts: "Mijn taken" by assignee, and "Taken van mijn groepen" (unclaimed tasks) through partial indexes
on ``assignee IS NULL`` — PostgreSQL does not take an IS NULL condition as fixing an index's leading
column for ordering, so a plain (assignee, …) index would still sort every unclaimed task. The due
date order puts tasks without one last through an expression both databases index.

Revision ID: 0010_inbox
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_inbox"
down_revision = "0001"
branch_labels = None
depends_on = None

UNCLAIMED = sa.text("assignee IS NULL")
INDEXES = {
    "ix_human_task_assigned_waiting": (["assignee", "created_at", "id"], None),
    "ix_human_task_open_waiting": (["created_at", "id"], UNCLAIMED),
    "ix_human_task_open_due": ([sa.text("(due_at IS NULL)"), "due_at", "created_at", "id"], UNCLAIMED),
    "ix_human_task_open_priority": ([sa.text("priority DESC"), "created_at", "id"], UNCLAIMED),
}


def upgrade() -> None:
    for name, (columns, where) in INDEXES.items():
        op.create_index(name, "human_task", columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="human_task")
