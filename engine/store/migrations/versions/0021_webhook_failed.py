"""An inbound webhook that failed all its tries keeps why (``webhook_message.last_error``) for the page.

Revision ID: 0021_webhook_failed
Revises: 0020_api_webhooks
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_webhook_failed"
down_revision = "0020_api_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_message", schema=None) as batch_op:
        batch_op.drop_column("last_error")
