"""Deployments remember their source ("Camunda Modeler", "gros deploy", …), as Camunda's do.

Revision ID: 0055_deployment_source
Revises: 0054_migration_batch
"""
import sqlalchemy as sa
from alembic import op

revision = "0055_deployment_source"
down_revision = "0054_migration_batch"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns): a batch copy of ``deployment`` would
# drop a table that resource and process_definition point at.
def upgrade() -> None:
    op.add_column("deployment", sa.Column("source", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("deployment", "source")
