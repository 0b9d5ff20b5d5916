"""Since when a claimed task is held: colleagues see who has it and since when in their group list.

Tasks claimed before this revision get their moment at their instance's next command.

Revision ID: 0057_task_claimed_at
Revises: 0056_external_task
"""
import sqlalchemy as sa
from alembic import op

from engine.store.models import UTCDateTime

revision = "0057_task_claimed_at"
down_revision = "0056_external_task"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as table:
        table.add_column(sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): a batch copy would trip over the foreign keys
    op.execute("ALTER TABLE human_task DROP COLUMN claimed_at")
