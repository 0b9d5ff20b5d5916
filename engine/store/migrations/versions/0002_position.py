"""Where tokens stand, per process and since when (the monitor's token counts and step ages).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "position",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("since", engine.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"]),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", "process_key", "element_id"),
    )
    op.create_index("ix_position_element", "position", ["process_key", "element_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_position_element", table_name="position")
    op.drop_table("position")
