"""The meeting cycle: an agenda item is a new proposal for agendering or an agendered dossier's progress
(§ 5.2.5, § 5.3.3), the civil-service border meeting's proposal is kept beside the ministers' judgement,
and each meeting knows the cycle instance that runs it.

Revision ID: 0059_meeting_cycle
Revises: 0058_mail_notifications
"""
import sqlalchemy as sa
from alembic import op

revision = "0059_meeting_cycle"
down_revision = "0058_mail_notifications"
branch_labels = None
depends_on = "0030_scheduler"  # the meeting tables live on that branch


def upgrade() -> None:
    op.add_column("meeting_item", sa.Column("kind", sa.String(length=20), nullable=False,
                                            server_default="voortgang"))
    op.add_column("meeting_item", sa.Column("proposal", sa.JSON(), nullable=True))
    op.add_column("meeting", sa.Column("cycle_instance_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): a batch copy would trip over the foreign keys
    op.execute("ALTER TABLE meeting DROP COLUMN cycle_instance_id")
    op.execute("ALTER TABLE meeting_item DROP COLUMN proposal")
    op.execute("ALTER TABLE meeting_item DROP COLUMN kind")
