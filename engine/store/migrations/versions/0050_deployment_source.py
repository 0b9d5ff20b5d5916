"""Deployments remember their source ("Camunda Modeler", "gros deploy", …), as Camunda's do.

Revision ID: 0050_deployment_source
Revises: 0042_summary_backfill
"""
import sqlalchemy as sa
from alembic import op

revision = "0050_deployment_source"
down_revision = "0042_summary_backfill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.drop_column("source")
