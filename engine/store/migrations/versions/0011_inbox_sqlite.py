"""The inbox's sort orders on SQLite: SQLite takes ``assignee IS NULL`` as an equality on an index's
leading column, so (assignee, …) indexes serve both lists in order there; without statistics its planner
prefers the plain assignee index to 0010's partial indexes and sorts every unclaimed task instead.
PostgreSQL keeps the partial indexes (it will not order by an index under IS NULL).

Revision ID: 0011_inbox_sqlite
Revises: 0010_inbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_inbox_sqlite"
down_revision = "0010_inbox"
branch_labels = None
depends_on = None

PARTIAL = ["ix_human_task_open_waiting", "ix_human_task_open_due", "ix_human_task_open_priority"]
LEADING_ASSIGNEE = {
    "ix_human_task_due_order": ["assignee", sa.text("(due_at IS NULL)"), "due_at", "created_at", "id"],
    "ix_human_task_priority_order": ["assignee", sa.text("priority DESC"), "created_at", "id"],
}


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in PARTIAL:
        op.drop_index(name, table_name="human_task")
    for name, columns in LEADING_ASSIGNEE.items():
        op.create_index(name, "human_task", columns)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in LEADING_ASSIGNEE:
        op.drop_index(name, table_name="human_task")
    unclaimed = sa.text("assignee IS NULL")
    op.create_index(PARTIAL[0], "human_task", ["created_at", "id"], sqlite_where=unclaimed)
    op.create_index(PARTIAL[1], "human_task", [sa.text("(due_at IS NULL)"), "due_at", "created_at", "id"],
                    sqlite_where=unclaimed)
    op.create_index(PARTIAL[2], "human_task", [sa.text("priority DESC"), "created_at", "id"], sqlite_where=unclaimed)
