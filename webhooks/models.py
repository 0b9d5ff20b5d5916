"""Tables of inbound and outbound webhooks.

Inbound: ``webhook_secret`` (a source's signing secrets; several at once while one is rotated),
``webhook_message`` (one row per authenticated ``webhook-id``: its outcome and the reply every later
delivery of it gets) and ``webhook_delivery`` (every HTTP arrival, whatever became of it).
Outbound: ``webhook_subscriber``, ``webhook_outbox`` (one row per event and subscriber, written in
the transaction of the change) and ``webhook_attempt`` (the delivery log).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.services.privacy import PersonalTable
from engine.store.models import Base


class WebhookSecret(Base):
    __tablename__ = "webhook_secret"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    retired_at: Mapped[datetime | None]


class WebhookMessage(Base):
    """The idempotency record: the unique (source, webhook_id) makes a second effect impossible."""

    __tablename__ = "webhook_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(200))
    # queued | applying (claimed by one worker until next_retry_at) | accepted | rejected | unmatched | failed
    status: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int] = mapped_column(Integer)
    reply: Mapped[dict]
    body: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[str | None] = mapped_column(String(36))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_retry_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last try failed; shown while ``failed``
    __table_args__ = (UniqueConstraint("source", "webhook_id"),)


class WebhookReference(Base):
    """A source's own reference (``kenmerk``) of what it started: at most one dossier per reference."""

    __tablename__ = "webhook_reference"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))  # accepted | duplicate | rejected | unmatched | error
    http_status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_message.id"), index=True)
    __table_args__ = (Index("ix_webhook_delivery_source_received", "source", "received_at"),)


class WebhookSubscriber(Base):
    __tablename__ = "webhook_subscriber"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list]  # empty: every event
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    failing_since: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(500))


class OutboxEvent(Base):
    __tablename__ = "webhook_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriber.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("subscriber_id", "message_id"),
        Index("ix_webhook_outbox_due", "status", "next_attempt_at"),
    )


class DeliveryAttempt(Base):
    __tablename__ = "webhook_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("webhook_outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


# What a person's erasure covers here: the bodies received (and their replies) and the events to send.
PERSONAL_DATA = (
    PersonalTable("ontvangen webhooks", WebhookMessage.__table__,
                  {"body": "inhoud", "reply": "antwoord", "last_error": "laatste fout"}),
    PersonalTable("afwijzingen van webhooks", WebhookDelivery.__table__, {"reason": "reden"}),
    PersonalTable("uitgaande webhook-gebeurtenissen", OutboxEvent.__table__,
                  {"body": "inhoud", "last_error": "laatste fout"}),
)
