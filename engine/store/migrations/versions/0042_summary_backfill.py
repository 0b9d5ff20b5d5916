"""Instance summaries for instances that existed before 0040, and an index to order by time in phase.

A backfilled running instance is put in its main process since its last change; its next command
derives the real phase. Every instance then has a summary, so overviews can join on it.

Revision ID: 0042_summary_backfill
Revises: 0041_phase_visit
"""
import sqlalchemy as sa
from alembic import op

revision = "0042_summary_backfill"
down_revision = "0041_phase_visit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_instance_summary_phase_since", "instance_summary", ["phase_since"])
    op.execute(sa.text(
        "INSERT INTO instance_summary (instance_id, phase, phase_since, theme, outcome, agendered) "
        "SELECT id, CASE WHEN status = 'completed' THEN NULL ELSE definition_key END, updated_at, NULL, NULL, "
        "false FROM process_instance WHERE id NOT IN (SELECT instance_id FROM instance_summary)"))


def downgrade() -> None:
    op.drop_index("ix_instance_summary_phase_since", "instance_summary")
