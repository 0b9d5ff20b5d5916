"""A business key names one dossier of a process: two starts racing for it cannot both win.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ux_instance_business_key", "process_instance", ["definition_key", "business_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_instance_business_key", table_name="process_instance")
