"""The one engine listener of this package, registered on every engine that is opened."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.services.executor import AuditRecord
from webhooks.events import write_outbox
from webhooks.inbound import record_accepted


def on_events(session: Session, events: list[AuditRecord]) -> None:
    record_accepted(session, events)
    write_outbox(session, events)
