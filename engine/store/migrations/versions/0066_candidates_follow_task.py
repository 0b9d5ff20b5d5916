"""A task's candidate rows follow its row when a command rewrites that row in place for the task that took its
place (ON UPDATE CASCADE), and lose their copy of the task's ``created_at``: nothing read it, and it would go
stale on such a move. The group lookup index carries the task id instead, so it answers alone.

Revision ID: 0066_candidates_follow_task
Revises: 0065_cases_only
"""
from alembic import op

revision = "0066_candidates_follow_task"
down_revision = "0065_cases_only"
branch_labels = None
depends_on = None

_FOREIGN_KEY = "FOREIGN KEY (task_id) REFERENCES human_task (id) ON DELETE CASCADE"


def _task_created(candidates: str) -> str:
    """The created_at of the task a row of the ``candidates`` table belongs to."""
    return f"(SELECT t.created_at FROM human_task t WHERE t.id = {candidates}.task_id)"


def upgrade() -> None:
    op.execute("DROP INDEX ix_task_candidate_lookup")
    if _postgresql():
        _replace_foreign_key(f"{_FOREIGN_KEY} ON UPDATE CASCADE")
        op.execute("ALTER TABLE task_candidate DROP COLUMN created_at")
    else:
        _copy_table(f"{_FOREIGN_KEY} ON UPDATE CASCADE", created_at=False)
    op.execute("CREATE INDEX ix_task_candidate_lookup ON task_candidate (kind, name, task_id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_task_candidate_lookup")
    if _postgresql():
        _replace_foreign_key(_FOREIGN_KEY)
        op.execute("ALTER TABLE task_candidate ADD COLUMN created_at TIMESTAMP WITH TIME ZONE")
        op.execute(f"UPDATE task_candidate SET created_at = {_task_created('task_candidate')}")
        op.execute("ALTER TABLE task_candidate ALTER COLUMN created_at SET NOT NULL")
    else:
        _copy_table(_FOREIGN_KEY, created_at=True)
    op.execute("CREATE INDEX ix_task_candidate_lookup ON task_candidate (kind, name, created_at)")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _replace_foreign_key(clause: str) -> None:
    op.execute(f"ALTER TABLE task_candidate DROP CONSTRAINT task_candidate_task_id_fkey, "
               f"ADD CONSTRAINT task_candidate_task_id_fkey {clause}")


def _copy_table(foreign_key: str, created_at: bool) -> None:
    """SQLite changes a foreign key only by copying the table (no other table refers to this one)."""
    op.execute("ALTER TABLE task_candidate RENAME TO task_candidate_old")
    created = ", created_at DATETIME NOT NULL" if created_at else ""
    op.execute(f"CREATE TABLE task_candidate (task_id VARCHAR(36) NOT NULL, kind VARCHAR(5) NOT NULL, "
               f"name VARCHAR(100) NOT NULL{created}, PRIMARY KEY (task_id, kind, name), {foreign_key})")
    columns = "task_id, kind, name" + (", created_at" if created_at else "")
    chosen = "task_id, kind, name" + (f", {_task_created('task_candidate_old')}" if created_at else "")
    op.execute(f"INSERT INTO task_candidate ({columns}) SELECT {chosen} FROM task_candidate_old")
    op.execute("DROP TABLE task_candidate_old")
