"""History cleanup: when an ended instance's history may go (removal time, indexed) and when it went.

Instances that ended before this revision get theirs here, from their definition's historyTimeToLive.

Revision ID: 0050_history_cleanup
Revises: 0042_summary_backfill
"""
import sqlalchemy as sa
from alembic import op

from engine.bpmn.retention import removal_time
from engine.store.models import UTCDateTime

revision = "0050_history_cleanup"
down_revision = "0042_summary_backfill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance") as table:
        table.add_column(sa.Column("removal_at", UTCDateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("cleaned_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_process_instance_removal_at", "process_instance", ["removal_at"])
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    moment = UTCDateTime(timezone=True)
    ended = connection.execute(sa.text(
        "SELECT i.id, i.ended_at, d.history_ttl FROM process_instance i "
        "JOIN process_definition d ON d.id = i.definition_id WHERE i.ended_at IS NOT NULL")
        .columns(sa.column("id"), sa.column("ended_at", moment), sa.column("history_ttl"))).all()
    update = sa.text("UPDATE process_instance SET removal_at = :at WHERE id = :id").bindparams(
        sa.bindparam("at", type_=moment))
    for instance_id, ended_at, ttl in ended:
        removal = removal_time(ended_at, ttl)
        if removal is not None:
            connection.execute(update, {"at": removal, "id": instance_id})


def downgrade() -> None:
    op.drop_index("ix_process_instance_removal_at", "process_instance")
    # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): a batch copy would trip over the foreign keys
    for column in ("cleaned_at", "removal_at"):
        op.execute(f"ALTER TABLE process_instance DROP COLUMN {column}")
