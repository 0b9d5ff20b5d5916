from alembic import context

import engine.gros.models  # noqa: F401 — tables outside engine/store/models.py, so autogenerate sees them
import engine.web.api.models  # noqa: F401
import webhooks.models  # noqa: F401
from engine.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
