"""A meeting cycle or a parliament report has no summary and no kennisbank card, a toets no summary: the rows the
listeners wrote for them are removed, so the monitor's dossier list and the kennisbank stop showing them. The kennisbank's trigger removes their FTS5 rows on SQLite.

Revision ID: 0065_cases_only
Revises: 0064_parliament_report
"""
from alembic import op

revision = "0065_cases_only"
down_revision = "0064_parliament_report"
branch_labels = None
depends_on = None

# engine/gros/summary.py NOT_CASES and the toets, as they were when this migration was written
NOT_CASES = "'gros-overlegcyclus', 'gros-parlementsrapport'"
NOT_DOSSIER = f"SELECT id FROM process_instance WHERE definition_key IN ({NOT_CASES}, 'gros-grenseffectentoets')"
NOT_A_CASE = f"SELECT id FROM process_instance WHERE definition_key IN ({NOT_CASES})"


def upgrade() -> None:
    for table in ("instance_summary", "phase_visit"):
        op.execute(f"DELETE FROM {table} WHERE instance_id IN ({NOT_DOSSIER})")
    op.execute(f"DELETE FROM kennis_entry WHERE instance_id IN ({NOT_A_CASE})")


def downgrade() -> None:
    """The removed rows were wrong; nothing to restore."""
