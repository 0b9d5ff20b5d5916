"""Fewer index pages per write (issue 18): a start wrote into 24 indexes. Two were the prefix of a composite
that answers their queries as well (``ix_human_task_assignee`` of ``ix_human_task_assigned_waiting``,
``ix_audit_event_instance_id`` of ``ix_audit_event_progress``); two index a column that is NULL on most rows
where every query asks for a value (``human_task.due_at``, ``process_instance.removal_at``): they keep only
the rows that have one.

Revision ID: 0067_fewer_index_writes
Revises: 0066_candidates_follow_task
"""
from alembic import op

revision = "0067_fewer_index_writes"
down_revision = "0066_candidates_follow_task"
branch_labels = None
depends_on = None

_DROPPED = (("ix_human_task_assignee", "human_task", "assignee"),
            ("ix_audit_event_instance_id", "audit_event", "instance_id"))
_PARTIAL = (("ix_human_task_due_at", "human_task", "due_at"),
            ("ix_process_instance_removal_at", "process_instance", "removal_at"))


def upgrade() -> None:
    for name, _, _ in _DROPPED:
        op.execute(f"DROP INDEX {name}")
    for name, table, column in _PARTIAL:
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({column}) WHERE {column} IS NOT NULL")


def downgrade() -> None:
    for name, _, _ in _PARTIAL:
        op.execute(f"DROP INDEX {name}")
    for name, table, column in (*_DROPPED, *_PARTIAL):
        op.execute(f"CREATE INDEX {name} ON {table} ({column})")
