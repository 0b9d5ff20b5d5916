"""Historic user tasks and variable instances as indexed rows, so /history/task and /variable-instance
answer from rows and never from instance state.

Waiting tasks are copied into the history now; tasks that ended before this revision are not there (the
audit trail keeps them). An instance gets its variable rows at its next command.

Revision ID: 0060_history_and_variables
Revises: 0059_deadline_reminders
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0060_history_and_variables"
down_revision = "0059_deadline_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "historic_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("definition_key", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("delete_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_historic_task_instance_id", "historic_task", ["instance_id"])
    op.create_index("ix_historic_task_started_at", "historic_task", ["started_at"])
    op.create_index("ix_historic_task_ended_at", "historic_task", ["ended_at"])
    op.execute(
        "INSERT INTO historic_task (id, instance_id, definition_id, definition_key, element_id, name, assignee,"
        " priority, due_at, follow_up_at, started_at)"
        " SELECT t.id, t.instance_id, i.definition_id, t.definition_key, t.element_id, t.name, t.assignee,"
        " t.priority, t.due_at, t.follow_up_at, t.created_at"
        " FROM human_task t JOIN process_instance i ON i.id = t.instance_id")
    op.create_table(
        "variable_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "name", name="uq_variable_instance_name"),
    )
    op.create_index("ix_variable_instance_name", "variable_instance", ["name"])


def downgrade() -> None:
    op.drop_table("variable_instance")
    op.drop_table("historic_task")
