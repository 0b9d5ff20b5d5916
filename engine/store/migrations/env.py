from alembic import context

import engine.api.models  # noqa: F401 — tables outside engine/store/models.py, so autogenerate sees them
import webhooks.models  # noqa: F401
from engine.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
